// Topic names and the JSON payloads wanpulse publishes (docs/mqtt.md). Pure:
// no IO, no clock; the publisher decides when each payload goes out.
import type { PolicyConfig } from '../config/types.ts';
import type { SwitchRecord, TransitionEvent, UplinkState, UplinkStatus } from '../status/model.ts';

export interface TopicNames {
  base: string;
  /** retained `online` / `offline`, also the last will */
  status: string;
  summary: string;
  event: string;
  /** Home Assistant's birth/last-will topic (`<discovery prefix>/status`) */
  haStatus: string;
  uplink(iface: string): string;
}

/** MQTT forbids wildcards in topic names and a `/` would add a level; interface names are
 *  validated by the config layer already, this keeps a bad one from breaking the topic tree. */
export function topicSegment(name: string): string {
  return name.replace(/[+#/\u0000]/g, '_');
}

function trimSlashes(topic: string): string {
  return topic.replace(/^\/+|\/+$/g, '');
}

/** An empty base topic means the default `wanpulse/<router id>`. */
export function topicNames(baseTopic: string, discoveryPrefix: string, routerId: string): TopicNames {
  const base = trimSlashes(baseTopic) || `wanpulse/${topicSegment(routerId)}`;
  const prefix = trimSlashes(discoveryPrefix) || 'homeassistant';
  return {
    base,
    status: `${base}/status`,
    summary: `${base}/summary`,
    event: `${base}/event`,
    haStatus: `${prefix}/status`,
    uplink: (iface) => `${base}/uplink/${topicSegment(iface)}`,
  };
}

export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

function round(value: number | null, decimals: number): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export interface UplinkPayload {
  state: UplinkState;
  since: string;
  rtt_ms: number | null;
  jitter_ms: number | null;
  loss_pct: number | null;
  targets: { ip: string; up: boolean | null; rtt_ms: number | null; loss_pct: number | null }[];
  owner: string;
  reason: string;
  probing: 'fast' | 'slow';
  last_switch: SwitchPayload | null;
}

export interface SwitchPayload {
  direction: 'down' | 'up';
  at: string;
  ok: boolean;
  /** null when the switchover changed no routing */
  route_ms: number | null;
  total_ms: number;
}

function switchPayload(s: SwitchRecord): SwitchPayload {
  return { direction: s.direction, at: isoTime(s.at), ok: s.ok, route_ms: s.routeMs ?? null, total_ms: s.totalMs };
}

export function uplinkPayload(u: UplinkStatus): UplinkPayload {
  return {
    state: u.state,
    since: isoTime(u.since),
    rtt_ms: round(u.rttMs, 2),
    jitter_ms: round(u.jitterMs, 2),
    loss_pct: round(u.lossPct, 1),
    targets: u.targets.map((t) => ({ ip: t.ip, up: t.up, rtt_ms: round(t.rttMs, 2), loss_pct: round(t.lossPct, 1) })),
    owner: u.owner,
    reason: u.reason,
    probing: u.probing ?? 'fast',
    last_switch: u.lastSwitch ? switchPayload(u.lastSwitch) : null,
  };
}

/** The part of an uplink's state whose change must go out at once: also the probe rate (it
 *  changes at most twice in 11 s) and a finished switchover. RTT, jitter and loss move with every
 *  probe round; they follow at the periodic (rate-limited) publish instead. */
export function uplinkChangeKey(u: UplinkStatus): string {
  return JSON.stringify([u.state, u.since, u.owner, u.reason, u.targets.map((t) => [t.ip, t.up]), u.probing, u.lastSwitch?.at, u.lastSwitch?.totalMs]);
}

export interface SummaryPayload {
  online: number;
  total: number;
  members: { policy: string; iface: string; share_pct: number }[];
}

/** An uplink carries traffic while online or degraded. A policy member wanpulse does not track
 *  is left to mwan3's own tracker and counted as usable. */
function usable(state: UplinkState | undefined): boolean {
  return state === undefined || state === 'online' || state === 'degraded';
}

/** mwan3 sends a policy's traffic to its usable members with the lowest metric, split by
 *  weight; members of higher metrics are standby. */
export function summaryPayload(uplinks: UplinkStatus[], policies: PolicyConfig[]): SummaryPayload {
  const stateOf = new Map(uplinks.map((u) => [u.iface, u.state] as const));
  const members: SummaryPayload['members'] = [];
  for (const policy of policies) {
    const live = policy.members.filter((m) => usable(stateOf.get(m.iface)));
    if (live.length === 0) continue;
    const tier = Math.min(...live.map((m) => m.metric));
    const active = live.filter((m) => m.metric === tier);
    const weightSum = active.reduce((s, m) => s + Math.max(0, m.weight), 0);
    for (const m of active) {
      const share = weightSum > 0 ? (Math.max(0, m.weight) / weightSum) * 100 : 100 / active.length;
      members.push({ policy: policy.name, iface: m.iface, share_pct: round(share, 1) ?? 0 });
    }
  }
  return {
    online: uplinks.filter((u) => u.state === 'online').length,
    total: uplinks.length,
    members,
  };
}

export interface EventPayload {
  iface: string;
  from: UplinkState;
  to: UplinkState;
  reason: string;
  detect_ms: number | null;
  at: string;
}

export function eventPayload(e: TransitionEvent): EventPayload {
  return {
    iface: e.iface,
    from: e.from,
    to: e.to,
    reason: e.reason,
    detect_ms: e.detectMs === null ? null : Math.round(e.detectMs),
    at: isoTime(e.at),
  };
}
