// Health options (probing and judging an uplink): the same UCI names in `config globals` and in
// every `config interface` of /etc/config/wanpulse. Per interface > globals > defaults.
import { LIMITS, TIMEOUT_WARN_MS } from './defaults.ts';
import type { HealthParams } from './types.ts';
import type { OptionReader } from './values.ts';

type IntField = 'intervalMs' | 'timeoutMs' | 'down' | 'up' | 'windowRounds' | 'failureLatencyMs'
  | 'recoveryLatencyMs' | 'failureLossPct' | 'recoveryLossPct' | 'flapWindowMs' | 'maxHoldMs';

/** UCI name → field, limits (in UCI units), unit word, factor from UCI unit to field unit */
const INT_OPTIONS: [string, IntField, readonly [number, number], string, number][] = [
  ['interval_ms', 'intervalMs', LIMITS.intervalMs, 'ms', 1],
  ['timeout_ms', 'timeoutMs', LIMITS.timeoutMs, 'ms', 1],
  ['down', 'down', LIMITS.down, 'rounds', 1],
  ['up', 'up', LIMITS.up, 'rounds', 1],
  ['window', 'windowRounds', LIMITS.windowRounds, 'rounds', 1],
  ['failure_latency_ms', 'failureLatencyMs', LIMITS.latencyMs, 'ms', 1],
  ['recovery_latency_ms', 'recoveryLatencyMs', LIMITS.latencyMs, 'ms', 1],
  ['failure_loss', 'failureLossPct', LIMITS.lossPct, '%', 1],
  ['recovery_loss', 'recoveryLossPct', LIMITS.lossPct, '%', 1],
  ['flap_window_s', 'flapWindowMs', LIMITS.flapWindowS, 's', 1000],
  ['max_hold_s', 'maxHoldMs', LIMITS.maxHoldS, 's', 1000],
];

const BOOL_OPTIONS: [string, 'checkQuality' | 'degradedFailover' | 'trafficEvidence'][] = [
  ['check_quality', 'checkQuality'],
  ['degraded_failover', 'degradedFailover'],
  ['traffic_evidence', 'trafficEvidence'],
];

/** The health options set in this section (invalid ones are reported and left out). */
export function readHealthOptions(r: OptionReader): Partial<HealthParams> {
  const out: Partial<HealthParams> = {};
  for (const [name, field, range, unit, factor] of INT_OPTIONS) {
    const n = r.int(name, range, unit);
    if (n !== undefined) out[field] = n * factor;
  }
  for (const [name, field] of BOOL_OPTIONS) {
    const b = r.bool(name);
    if (b !== undefined) out[field] = b;
  }
  return out;
}

/** Checks that need two values. Reported only where one of them is set, so a wrong global is
 *  reported once at its own line, not again for every interface that inherits it. */
export function checkHealth(h: HealthParams, setHere: Partial<HealthParams>, r: OptionReader): void {
  const pair = (lower: keyof HealthParams, upper: keyof HealthParams, lowerName: string, upperName: string) => {
    if (!(lower in setHere) && !(upper in setHere)) return;
    if ((h[lower] as number) <= (h[upper] as number)) return;
    const line = lower in setHere ? r.lineOf(lowerName) : r.lineOf(upperName);
    r.error(line, `${lowerName} (${String(h[lower])}) must not be greater than ${upperName} (${String(h[upper])}), or the uplink could be judged failed and recovered at once`);
  };
  pair('recoveryLatencyMs', 'failureLatencyMs', 'recovery_latency_ms', 'failure_latency_ms');
  pair('recoveryLossPct', 'failureLossPct', 'recovery_loss', 'failure_loss');
  if ('timeoutMs' in setHere && h.timeoutMs > TIMEOUT_WARN_MS) {
    r.warn(r.lineOf('timeout_ms'), `timeout_ms ${h.timeoutMs} is long: a dead uplink is noticed only after down × timeout_ms`);
  }
}
