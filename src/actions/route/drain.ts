// Conntrack drain for the route backend (plain Linux, no mwan3 marks).
//
// Why by address: on a gateway that masquerades (or SNATs) out of each uplink, a flow's conntrack
// entry pins the source address of the uplink it first left through. After the route changes,
// the kernel routes the flow's next packets through another uplink but NAT still writes the old
// uplink's address, so the other ISP drops them (reverse-path filtering) or the replies come back
// over the dead line. The reply direction of every such entry is addressed to the gateway's own
// address on that uplink, so `conntrack -D --reply-dst <that address>` deletes exactly the flows
// NATed to that uplink (and connections the router itself made from it); the next packet of each
// flow then creates a fresh entry through the current route. Conntrack records no output device,
// so flows that are routed without NAT cannot be told apart — they need no drain: the kernel
// routes them per packet and they follow the route change by themselves.
import type { Family } from '../../config/types.ts';
import { lastLine } from '../../platform/lines.ts';
import type { Log, Spawner } from '../../platform/ports.ts';

export interface RouteDrainDeps {
  spawner: Spawner;
  log: Log;
  ipPath: string;
  conntrackPath: string;
}

export interface DrainReport {
  addresses: string[];
  deleted: number;
  errors: string[];
}

interface JsonAddr { family?: string; local?: string; scope?: string }

/** The uplink's own addresses of a family from `ip -j addr show dev D` (no link-local/host scope). */
export function parseAddresses(jsonText: string, family: Family): string[] {
  let links: unknown;
  try { links = JSON.parse(jsonText.trim() || '[]'); } catch { return []; }
  if (!Array.isArray(links)) return [];
  const want = family === 'ipv6' ? 'inet6' : 'inet';
  const out: string[] = [];
  for (const link of links as { addr_info?: JsonAddr[] }[]) {
    for (const a of link?.addr_info ?? []) {
      if (a.family !== want || !a.local || a.scope === 'link' || a.scope === 'host') continue;
      if (!out.includes(a.local)) out.push(a.local);
    }
  }
  return out;
}

export function conntrackDeleteArgs(family: Family, address: string): string[] {
  return ['-D', '-f', family, '--reply-dst', address];
}

/** "conntrack v1.4.7 (conntrack-tools): 3 flow entries have been deleted." → 3 */
export function parseDeletedCount(stderr: string): number | null {
  const m = /(\d+) flow entr(?:y|ies) ha(?:s|ve) been deleted/.exec(stderr);
  return m ? Number(m[1]) : null;
}

/** The addresses each uplink device had when last looked up (key: family and device). A drain
 *  deletes by them first, so the flows move without waiting for an `ip addr show` on the flow's
 *  critical path; the look-up runs after that and drains by any address that is new (one that
 *  changed meanwhile, DHCP on the uplink). */
export type AddressCache = Map<string, string[]>;
const cacheKey = (device: string, family: Family) => `${family} ${device}`;

/** The device's addresses of the family (`ip -j addr show`), or why they cannot be read. */
export async function lookUpAddresses(deps: RouteDrainDeps, device: string, family: Family): Promise<{ addresses: string[] } | { error: string }> {
  try {
    const shown = await deps.spawner.run([deps.ipPath, '-j', family === 'ipv6' ? '-6' : '-4', 'addr', 'show', 'dev', device], { timeoutMs: 3000 });
    if (shown.code !== 0) return { error: `ip addr show dev ${device}: ${lastLine(shown.stderr) || `exit ${shown.code ?? shown.signal}`}` };
    return { addresses: parseAddresses(shown.stdout, family) };
  } catch (e) {
    return { error: `ip addr show dev ${device}: ${(e as Error).message}` };
  }
}

/** Looks the devices' addresses up ahead of a drain (at start). Never throws. */
export async function primeAddresses(deps: RouteDrainDeps, cache: AddressCache, uplinks: { device: string; family: Family }[]): Promise<void> {
  for (const u of uplinks) {
    const r = await lookUpAddresses(deps, u.device, u.family);
    if ('addresses' in r) cache.set(cacheKey(u.device, u.family), r.addresses);
    else deps.log.debug(() => `route drain: ${r.error} (looked up again at its drain)`);
  }
}

/** Deletes the conntrack entries NATed to `device`'s addresses: by the ones in `cache` first,
 *  then by any the look-up finds new. Never throws. */
export async function drainUplink(deps: RouteDrainDeps, device: string, family: Family, cache: AddressCache = new Map()): Promise<DrainReport> {
  const report: DrainReport = { addresses: [], deleted: 0, errors: [] };
  const deleteBy = async (address: string) => {
    report.addresses.push(address);
    const r = await deps.spawner.run([deps.conntrackPath, ...conntrackDeleteArgs(family, address)], { timeoutMs: 10_000 });
    const count = parseDeletedCount(r.stderr);
    // conntrack exits 1 when nothing matched ("0 flow entries have been deleted", or with some
    // versions/filters "such conntrack doesn't exist"); that is a successful, empty drain
    if (count !== null) report.deleted += count;
    else if (r.code === 1 && /such conntrack doesn't exist/i.test(r.stderr)) { /* nothing to drain */ }
    else report.errors.push(`conntrack -D --reply-dst ${address}: ${lastLine(r.stderr) || `exit ${r.code ?? r.signal}`}`);
  };
  try {
    const key = cacheKey(device, family);
    const known = cache.get(key) ?? [];
    for (const address of known) await deleteBy(address);
    const now = await lookUpAddresses(deps, device, family);
    if ('error' in now) report.errors.push(now.error);
    else {
      cache.set(key, now.addresses);
      for (const address of now.addresses) if (!known.includes(address)) await deleteBy(address);
      if (report.addresses.length === 0) report.errors.push(`${device} has no ${family} address to drain by`);
    }
  } catch (e) {
    report.errors.push(`drain ${device}: ${(e as Error).message}`);
  }
  deps.log.debug(() => `route drain ${device} (${report.addresses.join(' ') || 'no address'}): ${report.deleted} entries deleted${report.errors.length ? `; ${report.errors.join('; ')}` : ''}`);
  return report;
}
