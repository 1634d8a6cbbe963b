// A fake-clock timeline of one uplink with probes AND its own traffic: every probe of every
// target (answered in time, answered late, or lost), the device's rx counter sampled every
// 100 ms, all fed to an Uplink in time order, as the prober and the counter sampler would.
import type { HealthParams } from '../../src/config/types.ts';
import type { InterfaceConfig } from '../../src/config/types.ts';
import { Uplink } from '../../src/core/uplink.ts';
import { probeSpacingMs } from '../../src/probes/fping-driver.ts';
import { PARAMS, type Seen } from './timeline.ts';

export interface Line {
  /** RTT of a probe sent at `t` to target j, or null when it (or its answer) is lost */
  probe(t: number, j: number): number | null;
  /** packets per second the device receives at `t` besides probe replies */
  rxPps(t: number): number;
}

type Ev = { at: number; order: number; run: (u: Uplink) => Seen[] };

export function runTraffic(ms: number, line: Line, params: Partial<HealthParams> = {}, targets = ['192.0.2.1', '198.51.100.1']): { uplink: Uplink; seen: Seen[]; states: { at: number; state: string }[] } {
  const p = { ...PARAMS, trafficEvidence: true, ...params };
  const u = new Uplink('wg0', targets, p, 0);
  u.proberStarted(0);
  const events: Ev[] = [];
  const spacing = probeSpacingMs({ health: p, trackIps: targets } as InterfaceConfig, 'fast');
  let order = 0;
  const replyTimes: number[] = [];
  for (let r = 0; r * p.intervalMs < ms; r++) {
    targets.forEach((t, j) => {
      const sentAt = r * p.intervalMs + j * spacing;
      const rtt = line.probe(sentAt, j);
      const inTime = rtt !== null && rtt <= p.timeoutMs;
      const resultAt = inTime ? sentAt + rtt : sentAt + p.timeoutMs + 25;
      events.push({ at: resultAt, order: order++, run: (x) => x.result(t, r, inTime ? rtt : null, sentAt, resultAt).map((tr) => ({ ...tr, round: r, at: resultAt })) });
      if (rtt !== null) {
        replyTimes.push(sentAt + rtt);
        if (!inTime) events.push({ at: sentAt + rtt, order: order++, run: (x) => { x.evidence.lateReply(sentAt + rtt); return []; } });
      }
    });
  }
  replyTimes.sort((a, b) => a - b);
  let rx = 0;
  let seenReplies = 0;
  for (let t = 0; t < ms; t += 100) {
    const at = t;
    rx += Math.round((line.rxPps(at) * 100) / 1000);
    while (seenReplies < replyTimes.length && replyTimes[seenReplies]! <= at) seenReplies++;
    const count = rx + seenReplies;
    events.push({ at, order: order++, run: (x) => { x.evidence.sample(count, 0, at); const t = x.sampled(at); return t ? [{ ...t, round: -1, at }] : []; } });
  }
  events.sort((a, b) => a.at - b.at || a.order - b.order);
  const seen: Seen[] = [];
  const states: { at: number; state: string }[] = [];
  // the daemon wakes the core when an idle line's wait ends (Uplink.wakeAt)
  const wakeBefore = (t: number) => {
    const w = u.wakeAt();
    if (w === null || w > t) return;
    const before = u.state;
    const tr = u.woken(w);
    if (tr) seen.push({ ...tr, round: -1, at: w });
    if (u.state !== before) states.push({ at: w, state: u.state });
  };
  for (const e of events) {
    if (e.at >= ms) break;
    wakeBefore(e.at);
    const before = u.state;
    seen.push(...e.run(u));
    if (u.state !== before) states.push({ at: e.at, state: u.state });
  }
  return { uplink: u, seen, states };
}

/** ms from `cutAt` to the first offline transition after it (null: never) */
export function detectedAfter(states: { at: number; state: string }[], cutAt: number): number | null {
  const s = states.find((x) => x.state === 'offline' && x.at >= cutAt);
  return s ? s.at - cutAt : null;
}
