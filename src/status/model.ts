// The status model: what `wanpulse status`, the status file, ubus/LuCI and MQTT all read.
// Built by the daemon from core state; plain JSON-able data, times as epoch ms.

export type UplinkState = 'online' | 'degraded' | 'offline' | 'unknown';

/** Who currently decides this interface's routing state: `wanpulse` while it holds the interface
 *  out of rotation (and always with the route backend), else mwan3's own tracker. */
export type Owner = 'wanpulse' | 'mwan3';

export interface TargetStatus {
  ip: string;
  /** last round's result for this target; null before the first result */
  up: boolean | null;
  rttMs: number | null;
  lossPct: number | null;
}

export interface StepTiming {
  step: string;
  ms: number;
}

export interface SwitchRecord {
  /** 'down' = taken out of rotation, 'up' = put back / handed back */
  direction: 'down' | 'up';
  reason: string;
  /** epoch ms of the decision */
  at: number;
  ok: boolean;
  error?: string;
  /** ms from decision until each step finished, in order (e.g. hotplug, drain, park) */
  steps: StepTiming[];
  /** ms from the decision until routing changed (route backend: the route replaced; mwan3: its
   *  hotplug event done); absent when this switchover changed no routing */
  routeMs?: number;
  totalMs: number;
}

export interface UplinkStatus {
  iface: string;
  device: string;
  family: 'ipv4' | 'ipv6';
  state: UplinkState;
  /** epoch ms of the last state change */
  since: number;
  rttMs: number | null;
  jitterMs: number | null;
  lossPct: number | null;
  targets: TargetStatus[];
  owner: Owner;
  /** why the last transition happened, or why wanpulse holds back (last usable member …) */
  reason: string;
  /** flaps counted for damping; recovery needs more good rounds while > 0 */
  flaps: number;
  /** 'slow': one probe per second while the uplink's own traffic shows it alive (absent in
   *  status files of earlier versions) */
  probing?: 'fast' | 'slow';
  /** interval_ms: ms between two probes to one target while probing fast (absent in status
   *  files of earlier versions) */
  intervalMs?: number;
  lastSwitch?: SwitchRecord;
}

export interface TransitionEvent {
  iface: string;
  from: UplinkState;
  to: UplinkState;
  reason: string;
  /** estimated ms from the first failed/good probe to the decision */
  detectMs: number | null;
  /** epoch ms */
  at: number;
}

export interface StatusSnapshot {
  version: string;
  pid: number;
  backend: string;
  startedAt: number;
  updatedAt: number;
  uplinks: UplinkStatus[];
  lastEvent: TransitionEvent | null;
  mqtt: { enabled: boolean; connected: boolean; lastError: string | null } | null;
}
