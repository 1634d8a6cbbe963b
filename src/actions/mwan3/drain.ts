// Drain one uplink's flows by its mwan3 mark. mwan3's `disconnected` event only rebuilds the policy
// chains: existing flows keep their conntrack mark (CONNMARK restores it on every packet) and sticky
// clients stay in the `mwan3_rule_ipv4_<rule>` / `mwan3_rule_ipv6_<rule>` sets, so both keep
// going into the dead uplink until they time out. Deleting exactly the entries that carry this
// uplink's mark moves them; flows of the other uplinks are untouched (unlike mwan3's
// `flush_conntrack`, which can only flush the whole table).
//
// mwan3 ≥ 2.10 creates the sticky sets as `hash:ip,mark markmask <mmx_mask>`; `ipset list` prints
// a member as `<ip>,0x%08x [timeout N]`, the mark already masked (mwan3's own
// mwan3_delete_iface_ipset_entries greps for that form).
import { lastLine } from '../../platform/lines.ts';
import type { Clock, Log, Spawner } from '../../platform/ports.ts';
import type { Family, InterfaceConfig } from '../../config/types.ts';

export interface DrainOptions {
  /** times the drain (ms in the result); without it ms is null */
  clock?: Clock;
  conntrack?: string;
  ipset?: string;
}

export interface DrainResult {
  ok: boolean;
  /** how long the drain took */
  ms: number | null;
  /** conntrack entries deleted (null when conntrack could not run) */
  flowsDeleted: number | null;
  /** sticky ipset members deleted */
  stickyDeleted: number;
  /** every problem, prefixed with the tool ('conntrack: …', 'ipset: …') */
  errors: string[];
}

export const hex = (n: number): string => `0x${n.toString(16)}`;

/** A mark that selects exactly one uplink. 0 would match every unmarked flow; the whole mask is
 *  mwan3's "default table" mark (0x3f00) that its own probes carry. */
export function isDrainableMark(mark: number, mask: number): boolean {
  return Number.isInteger(mark) && Number.isInteger(mask) && mask > 0 &&
    (mark & ~mask) === 0 && (mark & mask) !== 0 && (mark & mask) !== mask;
}

function errorText(e: unknown): string {
  const err = e as Error & { code?: string };
  return err.code === 'ENOENT' ? 'not installed' : err.message;
}

async function drainConntrack(spawner: Spawner, tool: string, mark: number, mask: number, family: Family): Promise<{ deleted: number | null; error?: string }> {
  // Always name the family: conntrack 1.4.7 without -f deletes matching flows of both families.
  const argv = [tool, '-D', '-f', family, '-m', `${hex(mark)}/${hex(mask)}`];
  try {
    const res = await spawner.run(argv, { timeoutMs: 10_000 });
    const out = `${res.stderr}\n${res.stdout}`;
    const m = /(\d+) flow entries have been deleted/.exec(out);
    const deleted = m ? Number(m[1]) : null;
    // conntrack exits 1 when nothing matched ("0 flow entries have been deleted"): not an error.
    if (res.code === 0 || (res.code === 1 && deleted === 0)) return { deleted: deleted ?? 0 };
    const why = lastLine(out) || `exit ${res.code ?? res.signal}`;
    return { deleted: null, error: `conntrack: ${why}` };
  } catch (e) {
    return { deleted: null, error: `conntrack: ${errorText(e)} (install conntrack to drain flows)` };
  }
}

/** Members of one set from `ipset list <set>` output: the text before the first space. */
export function parseIpsetMembers(listing: string): string[] {
  const at = listing.indexOf('\nMembers:');
  if (at < 0) return [];
  return listing.slice(at + '\nMembers:'.length).split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((m) => m.length > 0);
}

/** The mark of a `hash:ip,mark` member (`192.0.2.1,0x00000100`), null when it has none. */
export function memberMark(member: string): number | null {
  const comma = member.lastIndexOf(',');
  if (comma < 0) return null;
  const text = member.slice(comma + 1);
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) return null;
  return Number(text);
}

async function drainSticky(spawner: Spawner, tool: string, mark: number, mask: number, family: Family): Promise<{ deleted: number; errors: string[] }> {
  const prefix = family === 'ipv6' ? 'mwan3_rule_ipv6_' : 'mwan3_rule_ipv4_';
  let names: string[];
  try {
    const res = await spawner.run([tool, '-n', 'list'], { timeoutMs: 10_000 });
    if (res.code !== 0) return { deleted: 0, errors: [`ipset: -n list: ${res.stderr.trim() || `exit ${res.code ?? res.signal}`}`] };
    names = res.stdout.split('\n').map((l) => l.trim()).filter((n) => n.startsWith(prefix));
  } catch (e) {
    // No ipset binary means no sticky sets can exist (mwan3 itself depends on ipset).
    if ((e as { code?: string }).code === 'ENOENT') return { deleted: 0, errors: [] };
    return { deleted: 0, errors: [`ipset: ${errorText(e)}`] };
  }
  const errors: string[] = [];
  const dels: string[] = [];
  try {
    for (const name of names) {
      const res = await spawner.run([tool, 'list', name], { timeoutMs: 10_000 });
      if (res.code !== 0) { errors.push(`ipset: list ${name}: ${res.stderr.trim()}`); continue; }
      for (const member of parseIpsetMembers(res.stdout)) {
        const m = memberMark(member);
        if (m !== null && (m & mask) === (mark & mask)) dels.push(`del ${name} ${member}`);
      }
    }
    if (dels.length === 0) return { deleted: 0, errors };
    // One restore for all deletions (one fork instead of one per client); -! because a member may
    // time out between list and delete.
    const res = await spawner.run([tool, '-!', 'restore'], { input: dels.join('\n') + '\n', timeoutMs: 10_000 });
    if (res.code !== 0) {
      errors.push(`ipset: restore: ${res.stderr.trim() || `exit ${res.code ?? res.signal}`}`);
      return { deleted: 0, errors };
    }
    return { deleted: dels.length, errors };
  } catch (e) {
    errors.push(`ipset: ${errorText(e)}`);
    return { deleted: 0, errors };
  }
}

/** Deletes the conntrack entries and sticky-set members carrying `mark` (under `mask`) for one
 *  address family. Never throws; problems are in `errors`. */
export async function drainByMark(
  spawner: Spawner, log: Log, mark: number, mask: number, family: Family, opts: DrainOptions = {},
): Promise<DrainResult> {
  const startMs = opts.clock?.nowMs();
  const done = (r: Omit<DrainResult, 'ms'>): DrainResult => ({
    ...r, ms: startMs === undefined || !opts.clock ? null : Math.round(opts.clock.nowMs() - startMs),
  });
  if (!isDrainableMark(mark, mask)) {
    const error = `refusing to drain mark ${hex(mark)}/${hex(mask)}: it does not select exactly one uplink`;
    log.error(error);
    return done({ ok: false, flowsDeleted: null, stickyDeleted: 0, errors: [error] });
  }
  const ct = await drainConntrack(spawner, opts.conntrack ?? 'conntrack', mark, mask, family);
  const sticky = await drainSticky(spawner, opts.ipset ?? 'ipset', mark, mask, family);
  const errors = [...(ct.error ? [ct.error] : []), ...sticky.errors];
  log.debug(() => `drain ${hex(mark)}/${hex(mask)} ${family}: ${ct.deleted ?? '?'} flows, ${sticky.deleted} sticky entries`);
  for (const e of errors) log.warn(`drain ${hex(mark)}/${hex(mask)}: ${e}`);
  return done({ ok: errors.length === 0, flowsDeleted: ct.deleted, stickyDeleted: sticky.deleted, errors });
}

/** drain_on_recovery: flows that moved to the other uplinks during the outage stay pinned there
 *  by their conntrack mark; draining those uplinks' marks lets the policy place them afresh, so
 *  a preferred uplink gets its traffic back. Only uplinks of the same family still in rotation. */
export async function drainOthers(
  spawner: Spawner, log: Log, ifaces: InterfaceConfig[], name: string, family: Family, mask: number,
  owned: (iface: string) => boolean, opts: DrainOptions,
): Promise<string[]> {
  const errors: string[] = [];
  for (const other of ifaces) {
    if (other.name === name || other.family !== family || owned(other.name)) continue;
    if (!isDrainableMark(other.mark, mask)) continue;
    const r = await drainByMark(spawner, log, other.mark, mask, family, opts);
    errors.push(...r.errors.map((e) => `${other.name} ${hex(other.mark)}: ${e}`));
  }
  return errors;
}
