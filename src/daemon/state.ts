// What the running daemon holds, shared by its parts (decide, report, reconcile, reload).
import type { Backend } from '../actions/backend.ts';
import type { Switcher } from '../actions/switcher.ts';
import type { Config } from '../config/types.ts';
import type { CoreState } from '../core/engine.ts';
import type { MqttPublisher } from '../mqtt/publisher.ts';
import type { SwitchRecord, TransitionEvent } from '../status/model.ts';

export interface DaemonState {
  config: Config;
  core: CoreState;
  backend: Backend;
  switcher: Switcher;
  mqtt: MqttPublisher | null;
  /** per interface: the last switchover with its step timings */
  lastSwitch: Map<string, SwitchRecord>;
  lastEvent: TransitionEvent | null;
  /** set once on SIGTERM/SIGINT: no more decisions after it */
  stopping: boolean;
}
