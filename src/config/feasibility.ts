// Settings fping cannot deliver. fping -l sends to its targets one after another, FPING_SPACING_MS
// apart (-i), and starts the next round only when the last target's packet is out; so a round
// takes at least targets × spacing plus fping's own overhead, whatever -p says. Measured with
// fping 5.1 in a namespace: -p 20 with 2 targets runs every 22 ms, -p 30 with 3 targets every
// 34 ms, -p 25 with 2 targets every 25 ms. An interval shorter than that makes every probe late:
// the probes would count as lost for ever while the line is fine.
import type { ConfigProblem, InterfaceConfig } from './types.ts';

/** fping's gap between packets to successive targets (passed as -i) */
export const FPING_SPACING_MS = 10;
/** fping's own overhead per round beyond the spacing (measured 2–4 ms on x86; more on a router) */
export const FPING_OVERHEAD_MS = 5;

/** The shortest interval fping keeps with this many targets. */
export function minIntervalMs(targets: number): number {
  return targets * FPING_SPACING_MS + FPING_OVERHEAD_MS;
}

/** One error per interface whose interval fping cannot keep. */
export function checkFeasibility(interfaces: InterfaceConfig[], file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const i of interfaces) {
    const n = i.trackIps.length;
    const need = minIntervalMs(n);
    if (i.health.intervalMs >= need) continue;
    problems.push({
      file, line: 0, severity: 'error',
      message: `interface '${i.name}': interval_ms ${i.health.intervalMs} is shorter than fping can keep with ${n} target${n === 1 ? '' : 's'}: `
        + `it sends to one target every ${FPING_SPACING_MS} ms, so a round takes at least ${n} × ${FPING_SPACING_MS} + ${FPING_OVERHEAD_MS} = ${need} ms; `
        + `set interval_ms to ${need} or more, or track fewer targets`,
    });
  }
  return problems;
}
