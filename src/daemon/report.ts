// How decisions and switchovers are told: one log line each, the MQTT event, and the records the
// status file shows (last event, last switchover per interface with its step timings).
import type { SwitchOutcome } from '../actions/switcher.ts';
import type { CoreAction } from '../core/events.ts';
import type { Log } from '../platform/ports.ts';
import type { SwitchRecord } from '../status/model.ts';
import type { DaemonState } from './state.ts';
import type { WallClock } from './wall-clock.ts';

export function reportAction(s: DaemonState, log: Log, wall: WallClock, a: CoreAction): void {
  switch (a.kind) {
    case 'announce': {
      const detect = a.detectMs === null ? '' : ` detect ${Math.round(a.detectMs)} ms`;
      const line = `${a.iface} ${a.from} -> ${a.to} (${a.reason})${detect}`;
      if (a.to === 'offline' || a.to === 'unknown') log.warn(line); else log.info(line);
      s.lastEvent = {
        iface: a.iface, from: a.from, to: a.to, reason: a.reason,
        detectMs: a.detectMs === null ? null : Math.round(a.detectMs), at: Math.round(wall.toWall(a.at)),
      };
      s.mqtt?.publishEvent(s.lastEvent);
      break;
    }
    case 'probeRate':
      log.debug(() => `${a.iface}: probing ${a.rate === 'slow' ? 'slowly: its own traffic shows it alive' : 'at interval_ms'}`);
      break;
    case 'confirm':
      log.debug(() => `${a.iface}: traffic stopped: confirming with quick probes (${a.waitMs} ms each)`);
      break;
    case 'holdBack':
      log.warn(`${a.iface}: not taking it out of rotation: ${a.reason}`);
      break;
    case 'takeDown':
      log.info(`${a.iface}: taking out of rotation (${s.config.global.backend})`);
      break;
    case 'bringUp':
      log.info(`${a.iface}: handing back (${a.reason})`);
      break;
  }
}

/** Records and logs a finished switchover; `now` is its end (monotonic). */
export function recordSwitch(s: DaemonState, log: Log, wall: WallClock, r: SwitchOutcome, now: number): SwitchRecord {
  const rec: SwitchRecord = {
    direction: r.direction, reason: r.reason, at: Math.round(wall.toWall(r.decidedAt)), ok: r.result.ok,
    steps: r.result.steps.map((st) => ({ step: st.step, ms: Math.round(st.ms) })), totalMs: Math.round(now - r.decidedAt),
  };
  if (r.result.error) rec.error = r.result.error;
  if (r.result.routedAt !== undefined) rec.routeMs = Math.round(r.result.routedAt - r.decidedAt);
  s.lastSwitch.set(r.iface, rec);
  const steps = rec.steps.map((st) => `${st.step} ${st.ms} ms`).join(', ');
  const routed = rec.routeMs === undefined ? '' : `, routing changed after ${rec.routeMs} ms`;
  if (r.result.ok) log.info(`${r.iface}: switched ${r.direction} in ${rec.totalMs} ms${routed}${steps ? ` (${steps})` : ''}`);
  else log.error(`${r.iface}: switch ${r.direction} failed after ${rec.totalMs} ms: ${r.result.error ?? 'unknown error'}`);
  return rec;
}
