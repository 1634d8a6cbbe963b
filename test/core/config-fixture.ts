// A small typed Config for core and daemon tests (the UCI loader has its own tests).
import type { Config, InterfaceConfig } from '../../src/config/types.ts';
import { PARAMS } from './timeline.ts';

export function iface(name: string, id: number, extra: Partial<InterfaceConfig> = {}): InterfaceConfig {
  return {
    name, device: name, deviceKnown: true, family: 'ipv4', trackIps: [`192.0.2.${id}`, `198.51.100.${id}`],
    health: { ...PARAMS }, mwan3Id: id, mark: id << 8, weight: 1, metric: 1, ...extra,
  };
}

export function testConfig(names = ['wg0', 'wg1'], extra: Partial<Config> = {}): Config {
  const interfaces = names.map((n, i) => iface(n, i + 1));
  return {
    global: {
      enabled: true, backend: 'none', logLevel: 'info', drain: true, drainOnRecovery: false,
      unknownHandbackMs: 10_000, routeTable: 'main', routeMetric: 0, routeResilient: true, routeIdleTimerS: 30, mmxMask: 0x3f00, mwan3Wrap: 'off', fpingPath: 'fping',
    },
    interfaces,
    policies: [{ name: 'balanced', members: names.map((n) => ({ iface: n, metric: 1, weight: 1 })) }],
    mqtt: {
      enabled: false, host: 'localhost', port: 1883, tls: false, tlsInsecure: false, clientId: 'wanpulse-test',
      baseTopic: 'wanpulse/test', discovery: true, discoveryPrefix: 'homeassistant', publishIntervalMs: 30_000, keepaliveS: 30,
    },
    ...extra,
  };
}
