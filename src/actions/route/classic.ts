// The classic multipath default route (kernels without resilient nexthop groups, or with them
// switched off): one `ip route replace` swaps it atomically, and layer-4 hashing spreads flows
// over its nexthops.
import type { Family } from '../../config/types.ts';
import type { FileSystem, Log } from '../../platform/ports.ts';
import type { IpRun } from './ip-batch.ts';
import { routeReplaceArgs, type RoutePlan } from './plan.ts';

/** Installs the plan's route; an error text or null. */
export async function installClassic(ip: IpRun, plan: RoutePlan, table: string, metric: number): Promise<string | null> {
  const args = routeReplaceArgs(plan, table, metric);
  if (!args) return `no usable ${plan.family} uplink left for the route`;
  return ip(args);
}

/** L4 hashing spreads flows (not just host pairs) over the nexthops; a per-netns sysctl. */
export async function setHashPolicy(fs: FileSystem, log: Log, family: Family): Promise<void> {
  const path = `/proc/sys/net/${family === 'ipv6' ? 'ipv6' : 'ipv4'}/fib_multipath_hash_policy`;
  try {
    await fs.writeText(path, '1\n');
  } catch (e) {
    log.warn(`route: could not set ${path} to 1 (flows may all hash onto one uplink): ${(e as Error).message}`);
  }
}
