// Defaults and limits of every wanpulse option (docs/config.md lists the same values).
// Probing defaults are sub-second on purpose: 5 probes per second per target, offline after
// 3 lost rounds (~0.6–0.9 s), online again after 5 good rounds.
import type { GlobalConfig, HealthParams, MqttConfig } from './types.ts';

export const DEFAULT_HEALTH: Readonly<HealthParams> = Object.freeze({
  intervalMs: 200,
  timeoutMs: 300,
  down: 3,
  up: 5,
  reliability: 1,
  windowRounds: 50,
  checkQuality: false,
  failureLatencyMs: 1000,
  recoveryLatencyMs: 500,
  failureLossPct: 40,
  recoveryLossPct: 10,
  degradedFailover: false,
  trafficEvidence: true,
  flapWindowMs: 300_000,
  maxHoldMs: 60_000,
});

/** mwan3's own default for globals.mmx_mask */
export const DEFAULT_MMX_MASK = 0x3f00;

export const DEFAULT_GLOBAL: Readonly<GlobalConfig> = Object.freeze({
  enabled: true,
  backend: 'mwan3',
  logLevel: 'info',
  drain: true,
  drainOnRecovery: false,
  unknownHandbackMs: 10_000,
  routeTable: 'main',
  routeMetric: 0,
  routeResilient: true,
  routeIdleTimerS: 30,
  mmxMask: DEFAULT_MMX_MASK,
  mwan3Wrap: 'auto',
  fpingPath: '/usr/bin/fping',
});

export const DEFAULT_MQTT_PORT = 1883;
export const DEFAULT_MQTTS_PORT = 8883;

/** clientId and baseTopic are filled from the router id (hostname + MAC suffix) by the loader */
export const DEFAULT_MQTT: Readonly<Omit<MqttConfig, 'clientId' | 'baseTopic'>> = Object.freeze({
  enabled: false,
  host: 'localhost',
  port: DEFAULT_MQTT_PORT,
  tls: false,
  tlsInsecure: false,
  discovery: true,
  discoveryPrefix: 'homeassistant',
  publishIntervalMs: 30_000,
  keepaliveS: 30,
});

/** Per-interface defaults (route backend fields; mwan3 members carry their own). */
export const DEFAULT_WEIGHT = 1;
export const DEFAULT_METRIC = 1;

/** fping warns nothing, but replies this late say more about the uplink than about loss */
export const TIMEOUT_WARN_MS = 2000;

/** Limits: [min, max], inclusive. */
export const LIMITS = Object.freeze({
  intervalMs: [20, 10_000],
  timeoutMs: [20, 10_000],
  down: [1, 100],
  up: [1, 1000],
  windowRounds: [5, 1000],
  reliability: [1, 100],
  latencyMs: [1, 60_000],
  lossPct: [0, 100],
  flapWindowS: [0, 86_400],
  maxHoldS: [0, 86_400],
  unknownHandbackS: [1, 3600],
  routeTable: [1, 252],
  routeMetric: [0, 2 ** 32 - 1],
  routeIdleTimerS: [1, 3600],
  weight: [1, 256],
  metric: [0, 256],
  port: [1, 65_535],
  publishIntervalS: [0, 86_400],
  keepaliveS: [0, 65_535],
} as const satisfies Record<string, readonly [number, number]>);

export const UBUS_TIMEOUT_MS = 3000;
