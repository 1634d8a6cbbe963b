// Status snapshots for the MQTT tests.
import type { StatusSnapshot, UplinkState, UplinkStatus } from '../../src/status/model.ts';

export const T0 = Date.UTC(2026, 0, 15, 10, 30, 0);

export function uplink(iface: string, state: UplinkState = 'online', over: Partial<UplinkStatus> = {}): UplinkStatus {
  return {
    iface, device: iface, family: 'ipv4', state, since: T0,
    rttMs: 12.345, jitterMs: 1.234, lossPct: 0,
    targets: [
      { ip: '192.0.2.1', up: state !== 'offline', rttMs: 12.345, lossPct: 0 },
      { ip: '198.51.100.1', up: state !== 'offline', rttMs: 13.5, lossPct: 0 },
    ],
    owner: 'mwan3', reason: 'probes answer', flaps: 0,
    ...over,
  };
}

export function snapshot(uplinks: UplinkStatus[]): StatusSnapshot {
  return {
    version: '0.1.0', pid: 1, backend: 'mwan3', startedAt: T0, updatedAt: T0,
    uplinks, lastEvent: null, mqtt: null,
  };
}
