// The classic multipath default route (kernels without resilient nexthop groups, or with them
// switched off): one `ip route replace` swaps it atomically, and layer-4 hashing spreads flows
// over its nexthops.
import type { Family } from '../../config/types.ts';
import type { FileSystem, Log, Spawner } from '../../platform/ports.ts';
import { routeReplaceArgs, type RoutePlan } from './plan.ts';

const lastLine = (s: string): string => s.trim().split('\n').pop() ?? '';

/** Installs the plan's route; an error text or null. */
export async function installClassic(spawner: Spawner, ipPath: string, plan: RoutePlan, table: string, metric: number): Promise<string | null> {
  const args = routeReplaceArgs(plan, table, metric);
  if (!args) return `no usable ${plan.family} uplink left for the route`;
  try {
    const r = await spawner.run([ipPath, ...args], { timeoutMs: 5000 });
    if (r.code === 0) return null;
    return `ip ${args.join(' ')}: ${lastLine(r.stderr) || `exit ${r.code ?? r.signal}`}`;
  } catch (e) {
    return `ip route replace: ${(e as Error).message}`;
  }
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
