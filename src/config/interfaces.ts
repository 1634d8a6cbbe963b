// Which interfaces wanpulse tracks, and everything it needs to know about each.
//
// Backends mwan3 and none: exactly the interfaces mwan3track runs for (mwan3 `enabled 1` and at
// least one track_ip), minus those /etc/config/wanpulse disables. Ids and marks follow mwan3:
// the 1-based position among *all* mwan3 interface sections. Backend route: the interfaces of
// /etc/config/wanpulse alone.
import { DEFAULT_METRIC, DEFAULT_WEIGHT, LIMITS } from './defaults.ts';
import { checkHealth, readHealthOptions } from './health.ts';
import { idToMark, maxInterfaces } from './mark.ts';
import { readMwan3Tracker } from './mwan3-tracker.ts';
import type { ConfigProblem, Family, HealthParams, InterfaceConfig, PolicyConfig } from './types.ts';
import { sectionRef, type UciSection, type UciValue } from './uci.ts';
import { addressFamily, isDeviceName, OptionReader, parseBool, parseInteger } from './values.ts';
import { quote } from './quote.ts';

const FAMILIES = ['ipv4', 'ipv6'] as const;

/** A `config interface` section of /etc/config/wanpulse, read and checked. */
export interface WanpulseInterface {
  name: string;
  r: OptionReader;
  enabled: boolean;
  device?: string;
  family?: Family;
  trackIps?: UciValue[];
  reliability?: number;
  gateway?: UciValue;
  weight: number;
  metric: number;
  health: Partial<HealthParams>;
}

export function readWanpulseInterface(s: UciSection, file: string, problems: ConfigProblem[]): WanpulseInterface | null {
  const r = new OptionReader(s, file, `interface ${sectionRef(s)}`, problems);
  if (s.name === null) {
    r.error(s.line, "an interface section needs a name: the mwan3/netifd interface name, e.g. config interface 'wg0'");
    return null;
  }
  const device = r.raw('device');
  if (device && !isDeviceName(device.value)) {
    r.error(device.line, `device ${quote(device.value)} is not a valid device name (1–15 of A–Z a–z 0–9 _ . @ -)`);
  }
  const out: WanpulseInterface = {
    name: s.name,
    r,
    enabled: r.bool('enabled') ?? true,
    family: r.oneOf('family', FAMILIES),
    weight: r.int('weight', LIMITS.weight) ?? DEFAULT_WEIGHT,
    metric: r.int('metric', LIMITS.metric) ?? DEFAULT_METRIC,
    reliability: r.int('reliability', LIMITS.reliability),
    health: readHealthOptions(r),
  };
  if (device && isDeviceName(device.value)) out.device = device.value;
  if (r.has('track_ip')) out.trackIps = r.list('track_ip');
  const gateway = r.raw('gateway');
  if (gateway) out.gateway = gateway;
  r.warnUnknown();
  return out;
}

/** Devices named by /etc/config/network, for interfaces whose device does not change. */
export function networkDevices(sections: UciSection[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of sections) {
    if (s.type !== 'interface' || s.name === null) continue;
    const proto = s.options.get('proto')?.values.at(-1)?.value;
    if (proto === 'wireguard') {
      // netifd names a WireGuard device after its interface
      if (isDeviceName(s.name)) out.set(s.name, s.name);
      continue;
    }
    // PPP, QMI, 6in4 … create their own device at runtime: only ubus knows its name
    if (proto !== undefined && !['static', 'dhcp', 'dhcpv6', 'none'].includes(proto)) continue;
    const type = s.options.get('type')?.values.at(-1)?.value;
    const dev = (s.options.get('device') ?? s.options.get('ifname'))?.values.at(-1)?.value;
    if (type === 'bridge') { if (isDeviceName(`br-${s.name}`)) out.set(s.name, `br-${s.name}`); continue; }
    if (dev && isDeviceName(dev) && !dev.startsWith('@')) out.set(s.name, dev);
  }
  return out;
}

function checkTargets(values: UciValue[], family: Family, r: OptionReader): string[] {
  const ips: string[] = [];
  for (const v of values) {
    const fam = addressFamily(v.value);
    if (fam === null) r.error(v.line, `track_ip ${quote(v.value)} is not an IP address (host names are not allowed: mwan3 tracks addresses)`);
    else if (fam !== family) r.error(v.line, `track_ip ${quote(v.value)} is ${fam} but the interface is ${family}`);
    else if (/^(0\.0\.0\.0|255\.255\.255\.255|[0:]*:[0:]*)$/.test(v.value)) r.error(v.line, `track_ip ${quote(v.value)} cannot be probed`);
    else if (ips.includes(v.value)) r.warn(v.line, `track_ip ${quote(v.value)} is listed twice (probed once)`);
    else ips.push(v.value);
  }
  return ips;
}

function checkGateway(g: UciValue | undefined, family: Family, r: OptionReader): string | undefined {
  if (!g) return undefined;
  const fam = addressFamily(g.value);
  if (fam === null) r.error(g.line, `gateway ${quote(g.value)} is not an IP address`);
  else if (fam !== family) r.error(g.line, `gateway ${quote(g.value)} is ${fam} but the interface is ${family}`);
  else return g.value;
  return undefined;
}

function checkReliability(reliability: number, listed: UciValue[], line: number, r: OptionReader): void {
  const targets = new Set(listed.map((v) => v.value)).size;
  if (targets > 0 && reliability > targets) {
    r.error(line, `reliability ${reliability} is more than the ${targets} track_ip(s): the uplink could never be judged up`);
  }
}

function health(globals: HealthParams, wp: WanpulseInterface | undefined, reliability: number): HealthParams {
  const h: HealthParams = { ...globals, ...(wp?.health ?? {}), reliability };
  if (wp) checkHealth(h, wp.health, wp.r);
  return h;
}

export interface Selection {
  interfaces: InterfaceConfig[];
  policies: PolicyConfig[];
  untracked: { name: string; family: Family }[];
}

export interface Mwan3Input {
  sections: UciSection[];
  file: string;
  mmxMask: number;
  globals: HealthParams;
  wanpulse: Map<string, WanpulseInterface>;
  devices: Map<string, string>;
  problems: ConfigProblem[];
}

export function selectMwan3(input: Mwan3Input): Selection {
  const { sections, file, problems } = input;
  const interfaces: InterfaceConfig[] = [];
  const untracked: Selection['untracked'] = [];
  const mwan3Names = new Set<string>();
  const ifaceSections = sections.filter((s) => s.type === 'interface');
  const max = maxInterfaces(input.mmxMask);
  ifaceSections.forEach((s, pos) => {
    const id = pos + 1;
    const mr = new OptionReader(s, file, `mwan3 interface ${sectionRef(s)}`, problems);
    if (s.name === null) { mr.warn(s.line, 'anonymous interface section: mwan3 ignores it'); return; }
    mwan3Names.add(s.name);
    const wp = input.wanpulse.get(s.name);
    const enabledRaw = mr.raw('enabled');
    let enabled = false; // mwan3's default
    if (enabledRaw) {
      const b = parseBool(enabledRaw.value);
      if (b === null) mr.warn(enabledRaw.line, `enabled ${quote(enabledRaw.value)} is not a boolean: mwan3 treats it as 0`);
      enabled = b ?? false;
    }
    if (!enabled) {
      if (wp?.enabled) wp.r.warn(wp.r.section.line, `mwan3 has this interface disabled (enabled 0 in ${file}): wanpulse leaves it alone`);
      return;
    }
    if (id > max) {
      mr.error(s.line, `is interface number ${id}, but mmx_mask 0x${input.mmxMask.toString(16)} leaves room for ${max}: widen mmx_mask or remove interface sections`);
      return;
    }
    const family = mr.oneOf('family', FAMILIES) ?? 'ipv4';
    if (wp?.family && wp.family !== family) {
      wp.r.error(wp.r.lineOf('family'), `family ${wp.family} differs from mwan3's ${family} for this interface`);
    }
    const mwanTargets = mr.list('track_ip');
    if (mwanTargets.length === 0 || wp?.enabled === false) {
      if (wp?.enabled && wp.trackIps) wp.r.warn(wp.r.section.line, 'mwan3 has no track_ip for this interface, so mwan3track does not run for it and wanpulse leaves it alone');
      untracked.push({ name: s.name, family });
      return;
    }
    const fromWp = wp?.trackIps !== undefined && wp.trackIps.length > 0;
    const targetValues = fromWp ? wp!.trackIps! : mwanTargets;
    const trackIps = checkTargets(targetValues, family, fromWp ? wp!.r : mr);
    let reliability = wp?.reliability;
    let relLine = wp?.r.lineOf('reliability') ?? s.line;
    let relReader = wp?.r ?? mr;
    if (reliability === undefined) {
      reliability = mr.int('reliability', LIMITS.reliability) ?? 1;
      relLine = mr.lineOf('reliability');
      relReader = mr;
    }
    checkReliability(reliability, targetValues, relLine, relReader);
    const device = wp?.device ?? input.devices.get(s.name);
    const mwan3Tracker = readMwan3Tracker(mr, mwanTargets.length);
    interfaces.push({
      name: s.name,
      device: device ?? s.name,
      deviceKnown: device !== undefined,
      family,
      trackIps,
      health: health(input.globals, wp, reliability),
      mwan3Id: id,
      mark: idToMark(id, input.mmxMask),
      ...(wp?.gateway ? { gateway: checkGateway(wp.gateway, family, wp.r) } : {}),
      weight: wp?.weight ?? DEFAULT_WEIGHT,
      metric: wp?.metric ?? DEFAULT_METRIC,
      mwan3Tracker,
    });
  });
  for (const wp of input.wanpulse.values()) {
    if (!mwan3Names.has(wp.name)) wp.r.warn(wp.r.section.line, `there is no mwan3 interface ${quote(wp.name)} in ${file}: section ignored`);
  }
  return { interfaces, policies: mwan3Policies(sections, file, mwan3Names, problems), untracked };
}

function mwan3Policies(sections: UciSection[], file: string, ifaceNames: Set<string>, problems: ConfigProblem[]): PolicyConfig[] {
  const members = new Map<string, { iface: string; metric: number; weight: number }>();
  for (const s of sections) {
    if (s.type !== 'member' || s.name === null) continue;
    const r = new OptionReader(s, file, `mwan3 member ${quote(s.name)}`, problems);
    const iface = r.raw('interface');
    if (!iface) { r.warn(s.line, 'has no interface: ignored'); continue; }
    if (!ifaceNames.has(iface.value)) r.warn(iface.line, `interface ${quote(iface.value)} is not an mwan3 interface: member ignored`);
    const num = (name: string, dflt: number) => {
      const v = r.raw(name);
      const n = v ? parseInteger(v.value) : dflt;
      if (n === null || n < 1) { r.warn(v!.line, `${name} ${quote(v!.value)} is not a positive whole number: using ${dflt}`); return dflt; }
      return n;
    };
    members.set(s.name, { iface: iface.value, metric: num('metric', 1), weight: num('weight', 1) });
  }
  const usedPolicies = new Set<string>();
  for (const s of sections) {
    if (s.type !== 'rule') continue;
    const p = s.options.get('use_policy')?.values.at(-1)?.value;
    if (p) usedPolicies.add(p);
  }
  const policies: PolicyConfig[] = [];
  for (const s of sections) {
    if (s.type !== 'policy' || s.name === null) continue;
    const r = new OptionReader(s, file, `mwan3 policy ${quote(s.name)}`, problems);
    const list: PolicyConfig['members'] = [];
    for (const v of r.list('use_member')) {
      const m = members.get(v.value);
      if (!m) r.warn(v.line, `use_member ${quote(v.value)} is not an mwan3 member: ignored`);
      else if (ifaceNames.has(m.iface)) list.push({ ...m });
    }
    policies.push({ name: s.name, members: list, used: usedPolicies.has(s.name) });
  }
  return policies;
}

export interface RouteInput {
  globals: HealthParams;
  wanpulse: WanpulseInterface[];
  devices: Map<string, string>;
}

/** Backend route: the uplinks are the wanpulse interface sections; one implicit policy. */
export function selectRoute(input: RouteInput): Selection {
  const interfaces: InterfaceConfig[] = [];
  for (const wp of input.wanpulse) {
    if (!wp.enabled) continue;
    const family = wp.family ?? 'ipv4';
    const trackIps = checkTargets(wp.trackIps ?? [], family, wp.r);
    if (!wp.trackIps || wp.trackIps.length === 0) wp.r.error(wp.r.section.line, 'needs at least one track_ip (backend route has no mwan3 config to take them from)');
    const reliability = wp.reliability ?? 1;
    checkReliability(reliability, wp.trackIps ?? [], wp.r.lineOf('reliability'), wp.r);
    const device = wp.device ?? input.devices.get(wp.name);
    if (device === undefined) wp.r.error(wp.r.section.line, 'needs option device (backend route: the device the uplink is reached through)');
    interfaces.push({
      name: wp.name,
      device: device ?? wp.name,
      deviceKnown: device !== undefined,
      family,
      trackIps,
      health: health(input.globals, wp, reliability),
      mwan3Id: 0,
      mark: 0,
      ...(wp.gateway ? { gateway: checkGateway(wp.gateway, family, wp.r) } : {}),
      weight: wp.weight,
      metric: wp.metric,
    });
  }
  const members = interfaces.map((i) => ({ iface: i.name, metric: i.metric, weight: i.weight }));
  return { interfaces, policies: [{ name: 'default', members, used: true }], untracked: [] };
}
