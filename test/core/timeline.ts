// Drives an Uplink through a timeline of rounds: outcome(round, target) → rtt ms or null (lost).
import type { HealthParams } from '../../src/config/types.ts';
import { Uplink, type Transition } from '../../src/core/uplink.ts';

/** probes alone decide here (traffic evidence: test/core/evidence.test.ts) */
export const PARAMS: HealthParams = {
  intervalMs: 200, timeoutMs: 300, down: 3, up: 5, reliability: 1, windowRounds: 50,
  checkQuality: false, failureLatencyMs: 1000, recoveryLatencyMs: 500, failureLossPct: 40,
  recoveryLossPct: 10, degradedFailover: false, trafficEvidence: false, flapWindowMs: 300_000, maxHoldMs: 60_000,
};

export interface Seen extends Transition { round: number; at: number }

/** deterministic PRNG (mulberry32) so loss timelines are reproducible */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function runTimeline(
  rounds: number,
  outcome: (round: number, target: number) => number | null,
  params: Partial<HealthParams> = {},
  targets = ['192.0.2.1', '198.51.100.1'],
  onRound?: (u: Uplink, round: number) => void,
): { uplink: Uplink; seen: Seen[] } {
  const p = { ...PARAMS, ...params };
  const u = new Uplink('wg0', targets, p, 0);
  u.proberStarted(0);
  const seen: Seen[] = [];
  for (let r = 0; r < rounds; r++) {
    const sentAt = r * p.intervalMs;
    targets.forEach((t, j) => {
      const rtt = outcome(r, j);
      // a result is known when the reply arrives, or at the deadline when lost
      const at = rtt === null ? sentAt + p.timeoutMs + 25 : sentAt + rtt;
      for (const tr of u.result(t, r, rtt, sentAt, at)) seen.push({ ...tr, round: r, at });
    });
    onRound?.(u, r);
  }
  return { uplink: u, seen };
}
