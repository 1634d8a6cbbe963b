// Builds the status snapshot from the core state. Called on every change and once a second.
import type { Config } from '../config/types.ts';
import type { CoreState } from '../core/engine.ts';
import type { StatusSnapshot, SwitchRecord, TransitionEvent, UplinkStatus } from './model.ts';

const round1 = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);

export interface SnapshotInput {
  config: Config;
  core: CoreState;
  version: string;
  pid: number;
  startedAt: number;
  /** wall ms = monoToWall(mono ms) */
  monoToWall: (mono: number) => number;
  wallNow: number;
  lastSwitch: Map<string, SwitchRecord>;
  lastEvent: TransitionEvent | null;
  mqtt: StatusSnapshot['mqtt'];
}

export function buildSnapshot(i: SnapshotInput): StatusSnapshot {
  const uplinks: UplinkStatus[] = [];
  for (const cfg of i.config.interfaces) {
    const u = i.core.uplinks.get(cfg.name);
    if (!u) continue;
    const held = i.core.held.get(cfg.name);
    const byMwan3 = i.core.offlineByMwan3.has(cfg.name);
    const status: UplinkStatus = {
      iface: cfg.name,
      device: cfg.device,
      family: cfg.family,
      state: u.state,
      since: Math.round(i.monoToWall(u.sinceAt)),
      rttMs: round1(u.meanRttMs()),
      jitterMs: round1(u.jitterMs()),
      lossPct: round1(u.lossPct()),
      targets: cfg.trackIps.map((ip, j) => {
        const w = u.windows[j]!;
        return { ip, up: w.lastUp(), rttMs: round1(w.lastRttMs()), lossPct: round1(w.lossPct()) };
      }),
      // route: wanpulse manages the route either way; mwan3/none: mwan3's tracker decides unless
      // wanpulse holds the interface (with `none`, what wanpulse would hold)
      owner: i.core.forced.has(cfg.name) || i.config.global.backend === 'route' ? 'wanpulse' : 'mwan3',
      reason: byMwan3 ? "held offline by mwan3's own tracker" : held ?? u.reason,
      flaps: u.flaps,
      probing: u.rate,
      intervalMs: cfg.health.intervalMs,
    };
    const sw = i.lastSwitch.get(cfg.name);
    if (sw) status.lastSwitch = sw;
    uplinks.push(status);
  }
  return {
    version: i.version,
    pid: i.pid,
    backend: i.config.global.backend,
    startedAt: i.startedAt,
    updatedAt: i.wallNow,
    uplinks,
    lastEvent: i.lastEvent,
    mqtt: i.mqtt,
  };
}
