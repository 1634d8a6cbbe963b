// What `wanpulse setup` wants on each router, as data: sections it owns (it writes every option
// of them) and adjustments of sections OpenWrt ships (a few options or list items only). Pure.
//
// Why the sections look like this (docs/setup.md explains each for users):
// - route_allowed_ips 0 on the main router's peers, plus one `config route` per tunnel with its
//   own metric: netifd then installs exactly one default route per tunnel, which mwan3 copies into
//   that interface's table and which a probe bound to the device (fping -I, mwan3track's
//   SO_BINDTODEVICE) needs to reach public targets at all. Distinct metrics, because the kernel
//   refuses a second IPv4 default route with the same metric.
// - netifd's WireGuard handler adds a host route to each endpoint through whatever routes it at
//   ifup time; the endpoint rules (use_policy 'default', first in the list) keep mwan3 from
//   balancing a tunnel's own packets into another tunnel.
// - track_ip: the uplink router's tunnel address plus the public targets, reliability
//   max(2, public targets): a live tunnel alone never counts as a working ISP line.
import type { Description, UplinkDesc } from './describe.ts';
import { formatCidr } from './ipv4.ts';

export interface TunnelKeys {
  mainPrivate: string;
  mainPublic: string;
  upPrivate: string;
  upPublic: string;
}

export interface OwnedSection {
  pkg: string;
  name: string;
  type: string;
  options: [string, string][];
  lists: [string, string[]][];
  /** absolute position among the package's sections (uci reorder), when order matters */
  position?: number;
}

/** Options and list items setup sets on a section it does not own (never removes anything). */
export interface Adjustment {
  pkg: string;
  /** section name or @type[index] */
  ref: string;
  /** set when the section may be missing (`set pkg.ref=type` first) */
  ensureType?: string;
  why: string;
  options: [string, string][];
  addToLists: [string, string][];
}

export interface RouterPlan {
  /** 'main' or the uplink's name */
  router: string;
  title: string;
  sections: OwnedSection[];
  adjustments: Adjustment[];
}

export const MAIN_PORT_BASE = 51820;
export const ROUTE_METRIC_BASE = 10;
export const TUNNEL_ZONE = 'wptun';

const sec = (pkg: string, name: string, type: string, options: Record<string, string | number>, lists: Record<string, string[]> = {}, position?: number): OwnedSection => ({
  pkg, name, type, options: Object.entries(options).map(([k, v]) => [k, String(v)]), lists: Object.entries(lists), ...(position === undefined ? {} : { position }),
});

export const peerName = (u: UplinkDesc) => `wp_${u.name}_peer`;
export const reliabilityOf = (d: Description) => Math.max(2, d.trackIps.length);

export function mainPlan(d: Description, keys: Map<string, TunnelKeys>, wanZoneRef: string): RouterPlan {
  const s: OwnedSection[] = [];
  d.uplinks.forEach((u, i) => {
    const k = keys.get(u.name)!;
    s.push(sec('network', u.name, 'interface', {
      proto: 'wireguard', private_key: k.mainPrivate, listen_port: MAIN_PORT_BASE + i + 1, mtu: d.mtu,
    }, { addresses: [`${u.mainAddr}/${u.tunnel.prefix}`] }));
    s.push(sec('network', peerName(u), `wireguard_${u.name}`, {
      description: `wanpulse setup: uplink router ${u.name}`, public_key: k.upPublic,
      endpoint_host: u.endpointHost, endpoint_port: u.endpointPort, route_allowed_ips: 0, persistent_keepalive: d.keepaliveS,
    }, { allowed_ips: ['0.0.0.0/0'] }));
    s.push(sec('network', `wp_${u.name}_route`, 'route', { interface: u.name, target: '0.0.0.0/0', metric: ROUTE_METRIC_BASE + i + 1 }));
  });
  for (const u of d.uplinks) {
    s.push(sec('mwan3', u.name, 'interface', {
      enabled: 1, family: 'ipv4', reliability: reliabilityOf(d), count: 1, timeout: 2, interval: 5, down: 3, up: 3,
    }, { track_ip: [u.upAddr, ...d.trackIps] }));
  }
  for (const u of d.uplinks) {
    s.push(sec('mwan3', `wp_${u.name}_bal`, 'member', { interface: u.name, metric: 1, weight: u.weight }));
    s.push(sec('mwan3', `wp_${u.name}_fo`, 'member', { interface: u.name, metric: u.metric, weight: 1 }));
  }
  s.push(sec('mwan3', 'wp_balanced', 'policy', { last_resort: 'unreachable' }, { use_member: d.uplinks.map((u) => `wp_${u.name}_bal`) }));
  s.push(sec('mwan3', 'wp_failover', 'policy', { last_resort: 'unreachable' }, { use_member: d.uplinks.map((u) => `wp_${u.name}_fo`) }));
  d.uplinks.forEach((u, i) => {
    s.push(sec('mwan3', `wpx_${u.name}`, 'rule', { family: 'ipv4', proto: 'all', dest_ip: `${u.endpointHost}/32`, use_policy: 'default' }, {}, i));
  });
  s.push(sec('mwan3', 'wp_all', 'rule', { family: 'ipv4', proto: 'all', dest_ip: '0.0.0.0/0', use_policy: `wp_${d.mode}` }, {}, d.uplinks.length));
  const adjustments: Adjustment[] = [
    {
      pkg: 'firewall', ref: wanZoneRef, why: "the tunnels join the firewall zone 'wan' (masquerading, MSS clamping)",
      options: [['masq', '1'], ['mtu_fix', '1']], addToLists: d.uplinks.map((u) => ['network', u.name]),
    },
    { pkg: 'wanpulse', ref: 'globals', ensureType: 'globals', why: 'wanpulse on, with the mwan3 backend', options: [['enabled', '1'], ['backend', 'mwan3']], addToLists: [] },
  ];
  return { router: 'main', title: 'main router', sections: s, adjustments };
}

export function uplinkPlan(d: Description, u: UplinkDesc, k: TunnelKeys): RouterPlan {
  const s: OwnedSection[] = [
    sec('network', u.name, 'interface', { proto: 'wireguard', private_key: k.upPrivate, listen_port: u.endpointPort, mtu: d.mtu }, { addresses: [`${u.upAddr}/${u.tunnel.prefix}`] }),
    sec('network', peerName(u), `wireguard_${u.name}`, { description: 'wanpulse setup: main router', public_key: k.mainPublic, route_allowed_ips: 0 }, { allowed_ips: [`${u.mainAddr}/32`] }),
    sec('firewall', 'wp_tunnel', 'zone', { name: TUNNEL_ZONE, input: 'ACCEPT', output: 'ACCEPT', forward: 'REJECT', mtu_fix: 1 }, { network: [u.name] }),
    sec('firewall', 'wp_tunnel_wan', 'forwarding', { src: TUNNEL_ZONE, dest: 'wan' }),
    sec('firewall', 'wp_tunnel_nat', 'nat', { name: 'wanpulse-tunnel-nat', src: 'wan', src_ip: formatCidr(u.tunnel), target: 'MASQUERADE', proto: 'all' }),
    sec('firewall', 'wp_wg_in', 'rule', { name: 'wanpulse-wireguard', src: u.via, proto: 'udp', dest_port: u.endpointPort, target: 'ACCEPT' }),
  ];
  return { router: u.name, title: `uplink router ${u.name} (${u.endpointHost})`, sections: s, adjustments: [] };
}

/** Packages a plan writes, in the order they are reloaded. */
export function packagesOf(p: RouterPlan): string[] {
  const all = new Set([...p.sections.map((s) => s.pkg), ...p.adjustments.map((a) => a.pkg)]);
  return ['network', 'firewall', 'mwan3', 'wanpulse'].filter((x) => all.has(x));
}
