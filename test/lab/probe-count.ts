// Probe packets as the kernel sees them, independent of the daemon: nftables counters in main's
// output hook for ICMP echo requests leaving each tunnel device (the only pings main itself
// sends are the daemon's fping; the LAN's own pings are forwarded, not output), and echo replies
// arriving on it. Read with one `nft -j list table` per reading, never per probe.
import type { Lab } from './topology.ts';
import { inNs, must } from './sh.ts';

const TABLE = 'wplab_probes';

export interface ProbeCount {
  /** echo requests sent out of the uplink's tunnel device so far */
  requests: number;
  /** echo replies received on it so far */
  replies: number;
}

/** Adds the counting table to main (replacing one there). */
export async function installProbeCounters(lab: Lab): Promise<void> {
  const rules = lab.uplinks.map((u) => [
    `  oifname "${u.mainDev}" icmp type echo-request counter comment "req ${u.name}"`,
    `  iifname "${u.mainDev}" icmp type echo-reply counter comment "rep ${u.name}"`,
  ]);
  const out = rules.map((r) => r[0]).join('\n');
  const inn = rules.map((r) => r[1]).join('\n');
  await must(inNs(lab.ns.main, ['nft', '-f', '-']), { input: `table ip ${TABLE}\ndelete table ip ${TABLE}\ntable ip ${TABLE} {\n`
    + ` chain out { type filter hook output priority 10; policy accept;\n${out}\n }\n`
    + ` chain inn { type filter hook input priority 10; policy accept;\n${inn}\n }\n}\n` });
}

/** The counters now, per uplink name. */
export async function readProbeCounters(lab: Lab): Promise<Record<string, ProbeCount>> {
  const j = JSON.parse(await must(inNs(lab.ns.main, ['nft', '-j', 'list', 'table', 'ip', TABLE]))) as { nftables: { rule?: { comment?: string; expr: { counter?: { packets: number } }[] } }[] };
  const out: Record<string, ProbeCount> = {};
  for (const u of lab.uplinks) out[u.name] = { requests: 0, replies: 0 };
  for (const item of j.nftables) {
    const r = item.rule;
    const m = r?.comment ? /^(req|rep) (\S+)$/.exec(r.comment) : null;
    const packets = r?.expr.find((e) => e.counter)?.counter?.packets ?? 0;
    if (!m || !out[m[2]!]) continue;
    if (m[1] === 'req') out[m[2]!]!.requests = packets;
    else out[m[2]!]!.replies = packets;
  }
  return out;
}

/** Packets per second per uplink between two readings. */
export function probeRates(a: Record<string, ProbeCount>, b: Record<string, ProbeCount>, ms: number): Record<string, { requestsPerS: number; repliesPerS: number }> {
  const out: Record<string, { requestsPerS: number; repliesPerS: number }> = {};
  for (const k of Object.keys(b)) {
    const s = Math.max(1, ms) / 1000;
    out[k] = { requestsPerS: ((b[k]!.requests - (a[k]?.requests ?? 0)) / s), repliesPerS: ((b[k]!.replies - (a[k]?.replies ?? 0)) / s) };
  }
  return out;
}
