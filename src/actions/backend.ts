// What a switchover backend offers the daemon. Backends decide nothing: the planner (src/core/)
// says which interfaces wanpulse takes out of rotation; a backend carries that out and reports
// step timings. Each call for one interface is serialized by the caller (src/actions/switcher.ts).
import type { BackendName, InterfaceConfig } from '../config/types.ts';
import type { StepTiming } from '../status/model.ts';

export interface SwitchResult {
  ok: boolean;
  /** The routing change itself happened, even when a later step failed (ok false): the caller must
   *  then treat the interface as switched. Absent: the same as `ok`. */
  applied?: boolean;
  /** ms since the call started, per finished step */
  steps: StepTiming[];
  /** monotonic time at which routing changed (route replaced, hotplug event done); absent when
   *  this call changed no routing */
  routedAt?: number;
  error?: string;
}

export interface ReconcileReport {
  /** interfaces that mwan3's own tracker holds offline (authoritative: never fight it) */
  offlineByMwan3: string[];
  /** human-readable notes of what was repaired (tracker re-parked, state re-applied, …) */
  repaired: string[];
}

export interface Backend {
  readonly name: BackendName;
  /** Called once before probing starts, with every interface wanpulse tracks. Reads the
   *  ownership record left by an earlier instance (crash, kill -9) and hands back everything in
   *  it, except the tracked interfaces in `keep`: those stay out and owned until the caller
   *  brings them up (their first rounds decided; src/restart-hold.ts bounds the wait). */
  start(ifaces: InterfaceConfig[], keep?: ReadonlySet<string>): Promise<void>;
  /** Take the interface out of rotation and drain its flows. Records ownership first. */
  takeDown(iface: InterfaceConfig, reason: string): Promise<SwitchResult>;
  /** Put the interface back / hand it back to mwan3's tracker. Clears ownership. */
  bringUp(iface: InterfaceConfig, reason: string): Promise<SwitchResult>;
  /** Cheap periodic check (tmpfs reads only); re-applies owned states that something undid. */
  reconcile(): Promise<ReconcileReport>;
  /** Hands back every owned interface. Called on SIGTERM and on removal from config. */
  stop(): Promise<void>;
}
