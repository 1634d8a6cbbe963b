// The description `wanpulse setup` reads: UCI syntax, parsed by the project's own UCI parser.
//
//   config setup 'setup'                 one section: the whole network
//     option mode 'balanced'             balanced | failover (both policies are made, this one used)
//     option lan '192.168.1.1/24'        the main router's LAN address and prefix
//     option tunnel_subnet '10.91.0.0/16'  where the tunnel addresses come from
//     option mtu '1420'                  of every tunnel
//     list track_ip '1.1.1.1'            public targets, probed through every tunnel
//   config uplink 'wg0'                  one per uplink router; the name is the interface name
//     option endpoint '192.168.20.2:51820'  the uplink router's address (and WireGuard port)
//     option weight '1' / option metric '1' / option tunnel '10.91.1.0/24' / option via 'lan'
//     option private_key / public_key / main_private_key / main_public_key   (optional)
//
// Every problem is reported with its line; the description is null as soon as one is an error.
import type { ConfigProblem } from '../config/types.ts';
import { parseUci, type UciSection } from '../config/uci.ts';
import { isIPv4, OptionReader, parseInteger } from '../config/values.ts';
import { block, contains, formatCidr, host, ipToNum, numToIp, overlaps, parseCidr, type Cidr } from './ipv4.ts';

export type Mode = 'balanced' | 'failover';

export interface SuppliedKeys {
  mainPrivate?: string;
  mainPublic?: string;
  upPrivate?: string;
  upPublic?: string;
}

export interface UplinkDesc {
  name: string;
  endpointHost: string;
  endpointPort: number;
  weight: number;
  metric: number;
  /** firewall zone of the uplink router that main's WireGuard packets arrive from */
  via: string;
  tunnel: Cidr;
  /** tunnel addresses: the uplink router's end is host 1, main's host 2 */
  upAddr: string;
  mainAddr: string;
  keys: SuppliedKeys;
}

export interface Description {
  file: string;
  mode: Mode;
  lan: { address: string; cidr: Cidr };
  tunnelSubnet: Cidr;
  mtu: number;
  trackIps: string[];
  keepaliveS: number;
  uplinks: UplinkDesc[];
}

export const DEFAULTS = {
  tunnelSubnet: '10.91.0.0/16',
  mtu: 1420,
  trackIps: ['1.1.1.1', '9.9.9.9'],
  keepaliveS: 25,
  port: 51820,
  via: 'lan',
} as const;

/** netifd interface names become the WireGuard device's name (≤ 15) and mwan3 rule names are
 *  limited to 15 characters; setup names the endpoint rule `wpx_<name>`, hence 11. */
const NAME_RE = /^[A-Za-z][A-Za-z0-9_]{0,10}$/;
const RESERVED = new Set(['loopback', 'lan', 'wan', 'wan6', 'wanb', 'wanb6', 'globals', 'setup']);
const ZONE_RE = /^[A-Za-z][A-Za-z0-9_]{0,10}$/;
const KEY_RE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

export interface DescribeResult {
  description: Description | null;
  problems: ConfigProblem[];
}

export function describe(text: string, file: string): DescribeResult {
  const parsed = parseUci(text, file);
  const problems: ConfigProblem[] = [];
  for (const p of parsed.problems) {
    // the parser merges a repeated section name (as uci does); for uplinks that is a mistake
    if (/is defined again/.test(p.message)) {
      problems.push({ ...p, severity: 'error', message: `duplicate name: ${p.message.replace(/;.*$/, '')}` });
    } else problems.push(p);
  }
  const err = (line: number, message: string) => problems.push({ file, line, severity: 'error', message });
  const setups = parsed.sections.filter((s) => s.type === 'setup');
  const uplinkSections = parsed.sections.filter((s) => s.type === 'uplink');
  for (const s of parsed.sections) {
    if (s.type !== 'setup' && s.type !== 'uplink') {
      problems.push({ file, line: s.line, severity: 'warning', message: `unknown section type '${s.type}' (ignored): expected setup or uplink` });
    }
  }
  if (setups.length === 0) err(0, "no `config setup` section: it gives the mode and the LAN (see docs/setup.md)");
  if (setups.length > 1) err(setups[1]!.line, `a second \`config setup\` section (first at line ${setups[0]!.line}): give one`);
  const head = setups[0] ? readSetup(setups[0], file, problems) : null;
  const uplinks: UplinkDesc[] = [];
  const seen = new Map<string, number>();
  uplinkSections.forEach((s, i) => {
    const u = head ? readUplink(s, i, head, file, problems, seen) : null;
    if (u) uplinks.push(u);
  });
  // a dropped or merged section is already one message: do not add a second about the count
  const already = problems.some((p) => p.severity === 'error');
  if (!already && uplinkSections.length === 1) err(uplinkSections[0]!.line, 'only one uplink: setup needs at least two (there is nothing to balance or to fail over to)');
  if (!already && uplinkSections.length === 0) err(0, 'no `config uplink` sections: give at least two');
  if (head) crossCheck(head, uplinks, file, problems);
  const bad = problems.some((p) => p.severity === 'error');
  return { description: bad || !head ? null : { ...head, file, uplinks }, problems };
}

type Head = Omit<Description, 'file' | 'uplinks'>;

function readSetup(s: UciSection, file: string, problems: ConfigProblem[]): Head | null {
  const r = new OptionReader(s, file, 'setup', problems);
  const mode = r.oneOf('mode', ['balanced', 'failover'] as const) ?? 'balanced';
  const lanV = r.raw('lan');
  let lan: Head['lan'] | null = null;
  if (!lanV) r.error(s.line, "no lan: give the main router's LAN address with its prefix, e.g. option lan '192.168.1.1/24'");
  else {
    const c = parseCidr(lanV.value);
    if (!c) r.error(lanV.line, `lan '${lanV.value}' is not an IPv4 address with a prefix (e.g. 192.168.1.1/24)`);
    else if (c.address === c.cidr.base || c.cidr.prefix > 30) r.error(lanV.line, `lan '${lanV.value}' must be the router's own address in its network, not the network itself`);
    else lan = { address: numToIp(c.address), cidr: c.cidr };
  }
  const subV = r.raw('tunnel_subnet');
  const sub = parseCidr(subV?.value ?? DEFAULTS.tunnelSubnet);
  if (!sub || sub.cidr.prefix > 29) r.error(subV!.line, `tunnel_subnet '${subV!.value}' is not an IPv4 network of /29 or larger (e.g. 10.91.0.0/16)`);
  const mtu = r.int('mtu', [1280, 1500]) ?? DEFAULTS.mtu;
  const keepaliveS = r.int('persistent_keepalive', [1, 3600], 's') ?? DEFAULTS.keepaliveS;
  const listed = r.list('track_ip');
  const trackIps: string[] = [];
  for (const v of listed) {
    if (!isIPv4(v.value)) r.error(v.line, `track_ip '${v.value}' is not an IPv4 address`);
    else if (trackIps.includes(v.value)) r.error(v.line, `track_ip '${v.value}' is listed twice`);
    else trackIps.push(v.value);
  }
  r.warnUnknown();
  if (!lan || !sub || sub.cidr.prefix > 29) return null;
  return { mode, lan, tunnelSubnet: sub.cidr, mtu, keepaliveS, trackIps: listed.length ? trackIps : [...DEFAULTS.trackIps] };
}

function readUplink(s: UciSection, i: number, head: Head, file: string, problems: ConfigProblem[], seen: Map<string, number>): UplinkDesc | null {
  const nameOpt = s.options.get('name')?.values.at(-1);
  const name = nameOpt?.value ?? s.name;
  const r = new OptionReader(s, file, `uplink ${name ? `'${name}'` : `@uplink[${i}]`}`, problems);
  r.raw('name');
  let ok = true;
  const fail = (line: number, message: string) => { r.error(line, message); ok = false; };
  if (!name) fail(s.line, "no name: write config uplink 'wg0' (the name becomes the interface name)");
  else if (!NAME_RE.test(name)) fail(nameOpt?.line ?? s.line, `'${name}' is not a valid interface name: a letter, then up to 10 letters, digits or _ (it names the netifd interface, the WireGuard device and mwan3's sections)`);
  else if (RESERVED.has(name.toLowerCase())) fail(nameOpt?.line ?? s.line, `'${name}' is the name of one of OpenWrt's own interfaces or sections: pick another (e.g. wg0)`);
  else if (seen.has(name)) fail(nameOpt?.line ?? s.line, `duplicate name '${name}' (first at line ${seen.get(name)})`);
  else seen.set(name, s.line);
  const ep = r.raw('endpoint');
  let endpointHost = '';
  let endpointPort: number = DEFAULTS.port;
  if (!ep) fail(s.line, "no endpoint: give the uplink router's address as seen from the main router, e.g. option endpoint '192.168.20.2:51820'");
  else {
    const m = /^([^:]+)(?::(.*))?$/.exec(ep.value)!;
    const port = m[2] === undefined ? DEFAULTS.port : parseInteger(m[2]);
    if (!isIPv4(m[1]!)) fail(ep.line, `endpoint '${ep.value}': '${m[1]}' is not an IPv4 address (mwan3 can only exempt addresses from balancing, not host names)`);
    else if (port === null || port < 1 || port > 65535) fail(ep.line, `endpoint '${ep.value}': port '${m[2]}' is not a number from 1 to 65535`);
    else { endpointHost = m[1]!; endpointPort = port; }
  }
  const weight = r.int('weight', [1, 1000]) ?? 1;
  const metric = r.int('metric', [1, 256]) ?? i + 1;
  const via = r.str('via') ?? DEFAULTS.via;
  if (!ZONE_RE.test(via)) fail(r.lineOf('via'), `via '${via}' is not a firewall zone name`);
  const tv = r.raw('tunnel');
  let tunnel: Cidr | null = null;
  if (tv) {
    const c = parseCidr(tv.value);
    if (!c || c.cidr.prefix > 30) fail(tv.line, `tunnel '${tv.value}' is not an IPv4 network of /30 or larger`);
    else tunnel = c.cidr;
  } else {
    tunnel = block(head.tunnelSubnet, head.tunnelSubnet.prefix <= 23 ? 24 : 30, i + 1);
    if (!tunnel) fail(s.line, `tunnel_subnet ${formatCidr(head.tunnelSubnet)} has no room for uplink ${i + 1}: make it larger`);
  }
  const keys: SuppliedKeys = {};
  for (const [opt, field] of [['private_key', 'upPrivate'], ['public_key', 'upPublic'], ['main_private_key', 'mainPrivate'], ['main_public_key', 'mainPublic']] as const) {
    const v = r.raw(opt);
    if (!v) continue;
    if (!KEY_RE.test(v.value)) fail(v.line, `${opt} is not a WireGuard key (44 characters of base64, as \`wg genkey\` prints)`);
    else keys[field] = v.value;
  }
  if ((keys.upPublic && !keys.upPrivate) || (keys.mainPublic && !keys.mainPrivate)) {
    fail(s.line, 'a public key without its private key: setup writes both ends of the tunnel, so give each pair whole (or neither)');
  }
  r.warnUnknown();
  if (!ok || !name || !tunnel) return null;
  return {
    name, endpointHost, endpointPort, weight, metric, via, tunnel, keys,
    upAddr: numToIp(host(tunnel, 1)), mainAddr: numToIp(host(tunnel, 2)),
  };
}

function crossCheck(head: Head, uplinks: UplinkDesc[], file: string, problems: ConfigProblem[]): void {
  const err = (message: string) => problems.push({ file, line: 0, severity: 'error', message });
  if (overlaps(head.tunnelSubnet, head.lan.cidr)) err(`tunnel_subnet ${formatCidr(head.tunnelSubnet)} overlaps the LAN ${formatCidr(head.lan.cidr)}`);
  for (const t of head.trackIps) {
    if (contains(head.tunnelSubnet, ipToNum(t)) || contains(head.lan.cidr, ipToNum(t))) err(`track_ip ${t} is inside the tunnel subnet or the LAN: track_ip must be public targets`);
  }
  uplinks.forEach((u, i) => {
    const where = `uplink '${u.name}'`;
    const ep = ipToNum(u.endpointHost);
    if (contains(head.tunnelSubnet, ep)) err(`${where}: endpoint ${u.endpointHost} is inside the tunnel range ${formatCidr(head.tunnelSubnet)}: the tunnel would have to carry itself`);
    for (const o of uplinks) if (contains(o.tunnel, ep)) err(`${where}: endpoint ${u.endpointHost} is inside the tunnel ${formatCidr(o.tunnel)} of '${o.name}'`);
    if (overlaps(u.tunnel, head.lan.cidr)) err(`${where}: tunnel ${formatCidr(u.tunnel)} overlaps the LAN ${formatCidr(head.lan.cidr)}`);
    for (const o of uplinks.slice(i + 1)) {
      if (overlaps(u.tunnel, o.tunnel)) err(`${where}: tunnel ${formatCidr(u.tunnel)} overlaps the tunnel ${formatCidr(o.tunnel)} of '${o.name}'`);
      if (u.endpointHost === o.endpointHost && u.endpointPort === o.endpointPort) err(`${where}: same endpoint ${u.endpointHost}:${u.endpointPort} as '${o.name}'`);
    }
  });
}
