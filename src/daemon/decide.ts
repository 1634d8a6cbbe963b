// The path of one event to a switch decision. Probers emit a `probeResult` per target and probe
// (lost ones at their deadline), timers a `ticked`, the switcher a `switchFinished`, reconcile an
// `mwan3Reported`. The pure core turns the event into actions: the health window and hysteresis
// of the uplink (src/core/uplink.ts), then the planner's no-blackout rules (src/core/planner.ts).
// Switchovers are requested first — nothing after them (log, MQTT, status file) may delay a
// failover — then every action is reported and the status refreshed.
import { step } from '../core/engine.ts';
import type { CoreAction, CoreEvent } from '../core/events.ts';
import type { RestartHold } from './restart-hold.ts';
import type { DaemonState } from './state.ts';

export interface DecisionSinks {
  /** probe rate changes and confirmations go to the probers */
  probes(action: Extract<CoreAction, { kind: 'probeRate' | 'confirm' }>): void;
  report(action: CoreAction): void;
  statusChanged(): void;
}

export function decide(s: DaemonState, event: CoreEvent, hold: RestartHold, sinks: DecisionSinks): void {
  if (s.stopping) return;
  // after a crash: uplinks the earlier instance held stay out until their first rounds decide
  const actions = hold.filter(step(s.core, event, s.config), s.core, event.at);
  if (actions.length === 0) return;
  let changed = false;
  for (const a of actions) {
    if (a.kind === 'probeRate' || a.kind === 'confirm') { sinks.probes(a); continue; }
    changed = true;
    if (a.kind !== 'takeDown' && a.kind !== 'bringUp') continue;
    const iface = s.config.interfaces.find((i) => i.name === a.iface);
    if (iface) s.switcher.request(iface, a.kind === 'takeDown' ? 'down' : 'up', a.reason, a.at);
  }
  for (const a of actions) sinks.report(a);
  if (changed) sinks.statusChanged();
}
