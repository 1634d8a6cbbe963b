// The one-page summary `wanpulse setup` prints and writes beside the scripts. Public keys only:
// a private key never appears here.
import type { Description } from './describe.ts';
import { formatCidr } from './ipv4.ts';
import { MAIN_PORT_BASE, peerName, reliabilityOf, ROUTE_METRIC_BASE, TUNNEL_ZONE, type TunnelKeys } from './plan.ts';

export interface SummaryInput {
  d: Description;
  keys: Map<string, TunnelKeys>;
  outDir: string;
  wanZoneRef: string;
  wanZoneNote: string | null;
  keySources: string[];
  /** what applying the main router's batch changes here: package names, [] = nothing */
  mainChanges: string[];
  forced: string[];
  /** remarks about this router's config, e.g. other mwan3 interfaces */
  notes: string[];
}

const pad = (s: string, n: number) => s.padEnd(n);

export function renderSummary(x: SummaryInput): string {
  const { d } = x;
  const other = d.mode === 'balanced' ? 'failover' : 'balanced';
  const L: string[] = [];
  L.push(`wanpulse setup: ${d.uplinks.length} uplinks, mode ${d.mode} (policy wp_${d.mode} in use, wp_${other} ready)`);
  L.push(`LAN ${d.lan.address}/${d.lan.cidr.prefix}; tunnels from ${formatCidr(d.tunnelSubnet)}, MTU ${d.mtu}; public targets ${d.trackIps.join(' ')}`);
  L.push('');
  L.push(`${pad('uplink', 10)}${pad('main end', 16)}${pad('uplink end', 16)}${pad('endpoint', 22)}${pad('weight', 7)}${pad('fo-metric', 10)}public keys (main / uplink)`);
  for (const u of d.uplinks) {
    const k = x.keys.get(u.name)!;
    L.push(`${pad(u.name, 10)}${pad(`${u.mainAddr}/${u.tunnel.prefix}`, 16)}${pad(`${u.upAddr}/${u.tunnel.prefix}`, 16)}${pad(`${u.endpointHost}:${u.endpointPort}`, 22)}${pad(String(u.weight), 7)}${pad(String(u.metric), 10)}${k.mainPublic} / ${k.upPublic}`);
  }
  const names = d.uplinks.map((u) => u.name).join(' ');
  L.push('');
  L.push(`main router: ${x.outDir}/main.uci (apply here with \`wanpulse setup --apply\`)`);
  L.push(`  network   interfaces ${names}: proto wireguard, listen ports ${MAIN_PORT_BASE + 1}…, MTU ${d.mtu}; peers ${d.uplinks.map(peerName).join(' ')}`);
  L.push(`            (allowed_ips 0.0.0.0/0, route_allowed_ips 0, keepalive ${d.keepaliveS} s); one default route per tunnel, metrics ${ROUTE_METRIC_BASE + 1}…`);
  L.push(`  firewall  zone 'wan' (${x.wanZoneRef}) gets ${names}; masq 1, mtu_fix 1${x.wanZoneNote ? ` — ${x.wanZoneNote}` : ''}`);
  L.push(`  mwan3     interfaces ${names}: track_ip = uplink router's tunnel address + ${d.trackIps.join(' ')}, reliability ${reliabilityOf(d)}`);
  L.push(`            members wp_<uplink>_bal (metric 1, weight) and wp_<uplink>_fo (metric, weight 1); policies wp_balanced, wp_failover`);
  L.push(`            rules first: ${d.uplinks.map((u) => `wpx_${u.name} (${u.endpointHost} → default)`).join(', ')}, then wp_all (0.0.0.0/0 → wp_${d.mode})`);
  L.push('  wanpulse  globals: enabled 1, backend mwan3');
  for (const u of d.uplinks) {
    L.push(`uplink router ${u.name}: ${x.outDir}/${u.name}.uci — copy it there, run \`uci batch < ${u.name}.uci\`, then \`service network reload; service firewall reload\``);
    L.push(`  network   interface ${u.name}: listen ${u.endpointPort}, ${u.upAddr}/${u.tunnel.prefix}; peer = main router (allowed_ips ${u.mainAddr}/32)`);
    L.push(`  firewall  zone '${TUNNEL_ZONE}' (${u.name}) → forwarding to wan, masquerade ${formatCidr(u.tunnel)} out of wan, udp ${u.endpointPort} accepted from zone '${u.via}'`);
  }
  L.push('');
  L.push(`keys: ${x.keySources.join('; ')}`);
  for (const n of x.notes) L.push(`note: ${n}`);
  if (x.forced.length) L.push(`--force: overwrites sections setup did not make: ${x.forced.join(', ')}`);
  L.push(x.mainChanges.length ? `on this router the main batch changes: ${x.mainChanges.join(', ')}` : 'on this router the main batch changes nothing (already applied)');
  return L.join('\n') + '\n';
}
