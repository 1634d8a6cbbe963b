// The typed configuration inside wanpulse. UCI's snake_case option names stop in src/config/;
// everything else sees these camelCase types with units in their names.

export type BackendName = 'mwan3' | 'route' | 'none';
export type Family = 'ipv4' | 'ipv6';
export type LogLevelName = 'error' | 'warn' | 'info' | 'debug';

/** How one uplink is probed and judged (global defaults, overridable per interface). */
export interface HealthParams {
  /** probe period per target (fping -p) */
  intervalMs: number;
  /** a reply later than this counts as lost (fping -t) */
  timeoutMs: number;
  /** consecutive failed rounds → offline */
  down: number;
  /** consecutive good rounds → online (before flap damping) */
  up: number;
  /** targets that must answer in a round for it to count as good */
  reliability: number;
  /** rounds in the sliding window for RTT, jitter and loss figures */
  windowRounds: number;
  checkQuality: boolean;
  failureLatencyMs: number;
  recoveryLatencyMs: number;
  failureLossPct: number;
  recoveryLossPct: number;
  /** treat `degraded` like `offline` for routing (only while another member is healthy) */
  degradedFailover: boolean;
  /** the uplink's own traffic (device receive counters) and late replies count as proof of life:
   *  failed probes then make it degraded, not offline (UCI traffic_evidence) */
  trafficEvidence: boolean;
  /** an offline transition within this time of the last recovery counts as a flap */
  flapWindowMs: number;
  /** upper bound of the damped hold-down (recovery waits at most this long) */
  maxHoldMs: number;
}

export interface InterfaceConfig {
  /** mwan3 / netifd interface name (also the key everywhere) */
  name: string;
  /** Linux device probes are bound to (fping -I) */
  device: string;
  /** true when `device` came from config or the WireGuard naming rule, false when it must be
   *  looked up in `ubus call network.interface dump` (l3_device) at start */
  deviceKnown: boolean;
  family: Family;
  trackIps: string[];
  health: HealthParams;
  /** 1-based position among mwan3's interface sections (0 when not from mwan3) */
  mwan3Id: number;
  /** conntrack / packet mark of this interface under `mmx_mask` (0 when not from mwan3) */
  mark: number;
  /** route backend: next hop address (optional: device-only nexthop when absent) */
  gateway?: string;
  /** route backend: multipath weight (1–256) */
  weight: number;
  /** route backend: lower metric = preferred tier */
  metric: number;
  /** mwan3 backend: mwan3track's own settings for this interface (src/config/mwan3-tracker.ts) */
  mwan3Tracker?: Mwan3TrackerSettings;
}

/** What mwan3track itself runs with for one interface (mwan3's defaults where unset). */
export interface Mwan3TrackerSettings {
  /** mwan3's own track_ip count (the tracker pings these, not wanpulse's) */
  targets: number;
  reliability: number;
  count: number;
  timeoutS: number;
  intervalS: number;
  failureIntervalS: number;
  recoveryIntervalS: number;
  down: number;
  up: number;
  initialState: 'online' | 'offline';
}

export interface PolicyMember {
  iface: string;
  metric: number;
  weight: number;
}

export interface PolicyConfig {
  name: string;
  members: PolicyMember[];
  /** false when no mwan3 rule uses the policy (then it cannot black-hole anything); default true */
  used?: boolean;
}

export interface MqttConfig {
  enabled: boolean;
  host: string;
  port: number;
  tls: boolean;
  caFile?: string;
  /** skip certificate verification (testing only) */
  tlsInsecure: boolean;
  username?: string;
  password?: string;
  passwordFile?: string;
  clientId: string;
  baseTopic: string;
  /** hostname plus a hardware-address suffix (config/router-id.ts): the default client id and
   *  base topic are made from it, and so are the Home Assistant discovery ids; set by the loader */
  routerId?: string;
  discovery: boolean;
  discoveryPrefix: string;
  /** periodic re-publish of uplink states (for graphs); 0 = only on change */
  publishIntervalMs: number;
  keepaliveS: number;
}

export interface GlobalConfig {
  enabled: boolean;
  backend: BackendName;
  logLevel: LogLevelName;
  /** drain conntrack/sticky entries of an uplink when it goes offline */
  drain: boolean;
  /** also drain when an uplink comes back (pulls flows back onto a preferred uplink) */
  drainOnRecovery: boolean;
  /** an interface whose prober stays broken this long is handed back to mwan3's tracker */
  unknownHandbackMs: number;
  /** route backend: routing table of the managed default route ('main' or a number) */
  routeTable: string;
  /** route backend: the route's metric in that table */
  routeMetric: number;
  /** route backend: use a resilient nexthop group where the kernel has them (Linux ≥ 5.13) */
  routeResilient: boolean;
  /** route backend: a bucket idle this long may move to a recovered uplink */
  routeIdleTimerS: number;
  /** mwan3's mmx_mask */
  mmxMask: number;
  /** wrap fping in mwan3's socket wrapper so probes carry mark 0x3f00 (auto on OpenWrt) */
  mwan3Wrap: 'auto' | 'on' | 'off';
  fpingPath: string;
}

export interface Config {
  global: GlobalConfig;
  interfaces: InterfaceConfig[];
  policies: PolicyConfig[];
  /** enabled mwan3 interfaces wanpulse does not track (no track_ip, or disabled in wanpulse):
   *  mwan3 keeps them online, so they count as usable policy members */
  untracked?: { name: string; family: Family }[];
  mqtt: MqttConfig;
}

/** One configuration problem, located in its file. */
export interface ConfigProblem {
  file: string;
  line: number;
  severity: 'error' | 'warning';
  message: string;
}
