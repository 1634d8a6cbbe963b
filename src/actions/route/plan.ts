// Pure planning for the route backend: which uplinks belong in the managed default route, the
// `ip route replace` arguments that install it, and reading back what the kernel holds.
// No IO here: backend.ts runs the commands.
import type { Family, InterfaceConfig } from '../../config/types.ts';

export interface Nexthop {
  device: string;
  /** absent: a device-only nexthop (point-to-point links such as WireGuard or PPP) */
  gateway?: string;
  weight: number;
}

/** What one `ip route replace` should install, per family. */
export interface RoutePlan {
  family: Family;
  /** uplinks in the route, in config order */
  members: string[];
  nexthops: Nexthop[];
}

/**
 * The members of the lowest metric among the usable uplinks of a family (failover tiers):
 * a backup tier only carries traffic while every member of the preferred tier is unusable.
 * Several members with that metric share the route by weight (load balancing).
 */
export function activeTier(ifaces: InterfaceConfig[], family: Family, unusable: ReadonlySet<string>): InterfaceConfig[] {
  const usable = ifaces.filter((i) => i.family === family && !unusable.has(i.name));
  if (usable.length === 0) return [];
  const best = Math.min(...usable.map((i) => i.metric));
  return usable.filter((i) => i.metric === best);
}

export function planRoute(ifaces: InterfaceConfig[], family: Family, unusable: ReadonlySet<string>): RoutePlan {
  const tier = activeTier(ifaces, family, unusable);
  return {
    family,
    members: tier.map((i) => i.name),
    nexthops: tier.map((i) => (i.gateway ? { device: i.device, gateway: i.gateway, weight: i.weight } : { device: i.device, weight: i.weight })),
  };
}

/** Families that have at least one configured uplink, ipv4 first. */
export function familiesOf(ifaces: InterfaceConfig[]): Family[] {
  return (['ipv4', 'ipv6'] as const).filter((f) => ifaces.some((i) => i.family === f));
}

const familyFlag = (family: Family): string => (family === 'ipv6' ? '-6' : '-4');

/**
 * Arguments after the `ip` binary. `replace` swaps the route in one netlink message, so there is
 * no moment without a default route. One nexthop → a plain route (the kernel would keep a
 * one-way multipath route too, but a plain one reads better in `ip route`).
 * Returns null for an empty plan: an empty route is never installed.
 */
export function routeReplaceArgs(plan: RoutePlan, table: string, metric: number): string[] | null {
  const head = [familyFlag(plan.family), 'route', 'replace', 'default', 'table', table, 'metric', String(metric)];
  const [only, ...rest] = plan.nexthops;
  if (!only) return null;
  if (rest.length === 0) return [...head, ...(only.gateway ? ['via', only.gateway] : []), 'dev', only.device];
  const hops = plan.nexthops.flatMap((h) => ['nexthop', ...(h.gateway ? ['via', h.gateway] : []), 'dev', h.device, 'weight', String(h.weight)]);
  return [...head, ...hops];
}

export function routeShowArgs(family: Family, table: string): string[] {
  return ['-j', familyFlag(family), 'route', 'show', 'table', table, 'default'];
}

interface JsonRoute {
  dst?: string;
  metric?: number;
  gateway?: string;
  dev?: string;
  weight?: number;
  nexthops?: { gateway?: string; dev?: string; weight?: number }[];
}

/**
 * The nexthops of the default route with `metric` in `ip -j route show … default` output.
 * Older kernels list an IPv6 multipath route as one route per nexthop: those are merged.
 * Empty when there is no such route (or the output is not the expected JSON).
 */
export function parseDefaultRoute(jsonText: string, metric: number): Nexthop[] {
  let routes: unknown;
  try { routes = JSON.parse(jsonText.trim() || '[]'); } catch { return []; }
  if (!Array.isArray(routes)) return [];
  const hops: Nexthop[] = [];
  for (const r of routes as JsonRoute[]) {
    // the kernel omits metric 0 from the dump
    if (!r || r.dst !== 'default' || (r.metric ?? 0) !== metric) continue;
    const list = r.nexthops ?? [{ gateway: r.gateway, dev: r.dev, weight: r.weight }];
    for (const h of list) {
      if (!h.dev) continue;
      hops.push(h.gateway ? { device: h.dev, gateway: h.gateway, weight: h.weight ?? 1 } : { device: h.dev, weight: h.weight ?? 1 });
    }
  }
  return hops;
}

const key = (h: Nexthop): string => `${h.device}|${h.gateway ?? ''}`;

/** Whether the kernel's nexthops are the planned ones (weights only matter with several). */
export function sameNexthops(want: Nexthop[], have: Nexthop[]): boolean {
  if (want.length !== have.length) return false;
  const byKey = new Map(have.map((h) => [key(h), h]));
  return want.every((w) => {
    const h = byKey.get(key(w));
    return h !== undefined && (want.length === 1 || h.weight === w.weight);
  });
}

export function describeNexthops(hops: Nexthop[]): string {
  if (hops.length === 0) return '(none)';
  return hops.map((h) => `${h.gateway ? `via ${h.gateway} ` : ''}dev ${h.device}${hops.length > 1 ? ` weight ${h.weight}` : ''}`).join(', ');
}
