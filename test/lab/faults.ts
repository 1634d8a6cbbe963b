// Faults injected into an uplink router's namespace, each restorable. Loss and cuts are nftables
// rules in a table of their own (`ip wplab_fault`), so restoring is deleting that table; no netem.
// Latency is a userspace relay (agents/delayer.mjs) in the tunnel's underlay, with its own table
// (`ip wplab_delay`), so it combines with loss or a cut.
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ADDR, logPath, restartUpWireGuard, saveState, type Lab, type Uplink } from './topology.ts';
import { inNs, must, run, sleep } from './sh.ts';

export type FaultKind = 'cut' | 'oneway' | 'loss' | 'peer-killed' | 'isp-down' | 'latency';

export interface ActiveFault {
  kind: FaultKind;
  uplink: Uplink;
  /** epoch ms when the fault took effect (the command returned) */
  at: number;
  /** epoch ms just before the command that makes the fault was started: it took effect between
   *  this and `at` (on a loaded machine `at − issuedAt` is the uncertainty of every figure) */
  issuedAt?: number;
  describe: string;
}

const TABLE = 'wplab_fault';

/** Returns the time just before the command that puts the new table in place. */
async function replaceFaultTable(up: Uplink, chains: string): Promise<number> {
  await run(inNs(up.ns, ['nft', 'delete', 'table', 'ip', TABLE]));
  const issuedAt = Date.now();
  await must(inNs(up.ns, ['nft', '-f', '-']), { input: `table ip ${TABLE} {\n${chains}}\n` });
  return issuedAt;
}

/** Drops everything the uplink forwards and its WireGuard traffic: the line is dead. */
export async function cut(up: Uplink): Promise<ActiveFault> {
  const issuedAt = await replaceFaultTable(up, [
    ' chain cut_forward { type filter hook forward priority -10; drop; }',
    ` chain cut_input { type filter hook input priority -10; udp dport ${ADDR.wgPort} drop; }`,
    ` chain cut_output { type filter hook output priority -10; udp sport ${ADDR.wgPort} drop; }`,
  ].join('\n') + '\n');
  return { kind: 'cut', uplink: up, at: Date.now(), issuedAt, describe: `${up.name} cut (all traffic dropped)` };
}

/** Which way: `up` is from the LAN towards the internet (main → uplink router → ISP), `down` back. */
export type Direction = 'up' | 'down';

/** A one-way failure: only one direction of the cut above. `up`: nothing main sends arrives (its
 *  WireGuard datagrams are dropped as they reach the uplink router, and nothing is forwarded to
 *  the ISP); `down`: nothing comes back (nothing is forwarded from the ISP, the router's WireGuard
 *  datagrams to main are dropped). Either way main's device receives nothing while it sends. */
export async function oneway(up: Uplink, dir: Direction): Promise<ActiveFault> {
  const issuedAt = await replaceFaultTable(up, dir === 'up' ? [
    ' chain cut_forward { type filter hook forward priority -10; oifname "isp0" drop; }',
    ` chain cut_input { type filter hook input priority -10; udp dport ${ADDR.wgPort} drop; }`,
  ].join('\n') + '\n' : [
    ' chain cut_forward { type filter hook forward priority -10; iifname "isp0" drop; }',
    ` chain cut_output { type filter hook output priority -10; udp sport ${ADDR.wgPort} drop; }`,
  ].join('\n') + '\n');
  return { kind: 'oneway', uplink: up, at: Date.now(), issuedAt, describe: `${up.name} ${dir === 'up' ? 'upstream' : 'downstream'} dead (one-way cut)` };
}

/** Drops lossPct % of the packets the uplink router forwards to the ISP (`up`, the default: also
 *  the share of probes and request/reply exchanges that fail), from it (`down`) or both ways
 *  (`both`: an exchange fails with 1 − (1 − p)² ≈ 2p). */
export async function loss(up: Uplink, lossPct: number, dir: Direction | 'both' = 'up'): Promise<ActiveFault> {
  const pct = Math.max(0, Math.min(100, Math.round(lossPct)));
  const match = dir === 'up' ? 'oifname "isp0" ' : dir === 'down' ? 'iifname "isp0" ' : '';
  const issuedAt = await replaceFaultTable(up, ` chain cut_forward { type filter hook forward priority -10; ${match}numgen random mod 100 < ${pct} drop; }\n`);
  const way = dir === 'up' ? '' : dir === 'down' ? ', downstream' : ', both directions';
  return { kind: 'loss', uplink: up, at: Date.now(), issuedAt, describe: `${up.name} ${pct} % random loss${way}` };
}

/** Kills the uplink router's wireguard-go: the tunnel device disappears on that side. */
export async function killPeer(lab: Lab, up: Uplink): Promise<ActiveFault> {
  const child = lab.upWg.get(up.upDev);
  const issuedAt = Date.now();
  if (child) await lab.procs.stop(child, 1000);
  lab.upWg.delete(up.upDev);
  return { kind: 'peer-killed', uplink: up, at: Date.now(), issuedAt, describe: `${up.name} WireGuard peer killed` };
}

/** Takes the uplink router's ISP link down (its default route goes with it). */
export async function ispDown(up: Uplink): Promise<ActiveFault> {
  const issuedAt = Date.now();
  await must(['ip', '-n', up.ns, 'link', 'set', 'isp0', 'down']);
  return { kind: 'isp-down', uplink: up, at: Date.now(), issuedAt, describe: `${up.name} ISP link down` };
}

/** Undoes a fault; returns the epoch ms when the uplink works again from the lab's side. */
export async function restore(lab: Lab, fault: ActiveFault): Promise<number> {
  const up = fault.uplink;
  switch (fault.kind) {
    case 'cut':
    case 'oneway':
    case 'loss':
      await run(inNs(up.ns, ['nft', 'delete', 'table', 'ip', TABLE]));
      break;
    case 'peer-killed':
      await restartUpWireGuard(lab, up);
      break;
    case 'isp-down':
      await must(['ip', '-n', up.ns, 'link', 'set', 'isp0', 'up']);
      await must(['ip', '-n', up.ns, 'route', 'replace', 'default', 'via', ADDR.isp[up.index]!.inet]);
      break;
    case 'latency':
      await removeLatency(lab, up);
      break;
  }
  return Date.now();
}

/** Removes every fault from every uplink (used between bench runs and on the way out). */
export async function restoreAll(lab: Lab): Promise<void> {
  for (const up of lab.uplinks) {
    await removeLatency(lab, up);
    await run(inNs(up.ns, ['nft', 'delete', 'table', 'ip', TABLE]));
    await run(['ip', '-n', up.ns, 'link', 'set', 'isp0', 'up']);
    await run(['ip', '-n', up.ns, 'route', 'replace', 'default', 'via', ADDR.isp[up.index]!.inet]);
    if (!lab.upWg.has(up.upDev)) await restartUpWireGuard(lab, up);
  }
}

/** A burst: the uplink is cut for burstMs, then restored. Resolves with both timestamps. */
export async function burst(lab: Lab, up: Uplink, burstMs: number): Promise<{ at: number; restoredAt: number }> {
  const f = await cut(up);
  await sleep(burstMs);
  return { at: f.at, restoredAt: await restore(lab, f) };
}

/** Flapping: `count` cycles of downMs cut then upMs working. Calls onEdge for the timeline. */
export async function flap(lab: Lab, up: Uplink, o: { downMs: number; upMs: number; count: number },
  onEdge?: (what: 'down' | 'up', at: number) => void): Promise<void> {
  for (let i = 0; i < Math.min(o.count, 1000); i++) {
    const f = await cut(up);
    onEdge?.('down', f.at);
    await sleep(o.downMs);
    onEdge?.('up', await restore(lab, f));
    await sleep(o.upMs);
  }
}

// ---- latency -------------------------------------------------------------------------------
// The relay runs in the uplink router's namespace with two sockets on its underlay address:
// main's WireGuard is pointed at one, the router's at the other (`wg set … endpoint`, which keeps
// the session: no handshake, no lost tunnel). WireGuard roams to wherever an authenticated packet
// last came from, so while the relay is in, the direct path is blocked (table `ip wplab_delay`):
// otherwise a single direct packet would pull an end back past the relay.

const AGENTS = fileURLToPath(new URL('./agents/', import.meta.url));
const DELAY_TABLE = 'wplab_delay';
/** relay ports on the uplink router's underlay address: facing main, facing the router's WireGuard */
const RELAY_PORT_MAIN = ADDR.wgPort + 100;
const RELAY_PORT_UP = ADDR.wgPort + 101;
/** after the relay is in place, before it starts delaying: packets the switch-over lost are
 *  behind the fault, not part of it (a round of the lab's probes and then some) */
const SETTLE_MS = 400;

interface Relay {
  child: ChildProcess;
  /** the longest a datagram is held (one way), ms */
  holdMs: number;
  /** where its reports go (appended to by every relay of this uplink) */
  log: string;
  startedAt: number;
}

/** Running relays per lab and uplink (the lab's ProcessSet also has them, for teardown). */
const relays = new WeakMap<Lab, Map<string, Relay>>();

async function peerKey(ns: string, dev: string): Promise<string> {
  const key = (await must(inNs(ns, ['wg', 'show', dev, 'peers']))).trim().split('\n')[0];
  if (!key) throw new Error(`${dev} has no WireGuard peer`);
  return key;
}

const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

interface TunnelPointer {
  /** points both ends through the relay or straight at each other; `before` runs first in the same shell */
  point(viaRelay: boolean, before?: string[]): Promise<void>;
  /** whether both ends point where `viaRelay` says (read from `wg show … endpoints`) */
  pointed(viaRelay: boolean): Promise<boolean>;
}

/** Points the uplink's tunnel ends through the relay or straight at each other. Both `wg set`
 *  run in one shell, so the ends are re-pointed within a few ms of each other (and of `before`):
 *  the window in which an end can roam back and lose packets stays that short, whatever the
 *  load on the machine. Peer keys are read once. */
async function tunnelPointer(lab: Lab, up: Uplink): Promise<TunnelPointer> {
  const u = ADDR.underlay[up.index]!;
  const mainPort = ADDR.wgPort + 1 + up.index;
  const upKey = lab.upWg.has(up.upDev) ? await peerKey(up.ns, up.upDev) : null;
  const mainKey = await peerKey(lab.ns.main, up.mainDev);
  const endpoints = (viaRelay: boolean) => ({
    up: viaRelay ? `${u.up}:${RELAY_PORT_UP}` : `${u.main}:${mainPort}`,
    main: viaRelay ? `${u.up}:${RELAY_PORT_MAIN}` : `${u.up}:${ADDR.wgPort}`,
  });
  const endpointOf = async (ns: string, dev: string) => (await run(inNs(ns, ['wg', 'show', dev, 'endpoints']))).stdout.trim().split('\t')[1] ?? '';
  return {
    async point(viaRelay, before = []) {
      const e = endpoints(viaRelay);
      const lines = [...before];
      if (upKey) lines.push(inNs(up.ns, ['wg', 'set', up.upDev, 'peer', upKey, 'endpoint', e.up]).map(q).join(' '));
      lines.push(inNs(lab.ns.main, ['wg', 'set', up.mainDev, 'peer', mainKey, 'endpoint', e.main]).map(q).join(' '));
      await must(['sh', '-ec', lines.join('\n')]);
    },
    async pointed(viaRelay) {
      const e = endpoints(viaRelay);
      if (await endpointOf(lab.ns.main, up.mainDev) !== e.main) return false;
      return !upKey || await endpointOf(up.ns, up.upDev) === e.up;
    },
  };
}

/** Re-points until both ends stay where they should (an end that roamed back is pointed again). */
async function settlePointing(tp: TunnelPointer, viaRelay: boolean): Promise<void> {
  for (let i = 0; i < 10; i++) {
    if (await tp.pointed(viaRelay)) return;
    await tp.point(viaRelay);
  }
  throw new Error(`the tunnel ends do not stay pointed ${viaRelay ? 'at the relay' : 'at each other'}`);
}

/** Waits for the relay's line with this event in its log (from `sinceLen` bytes on); its `at`. */
async function waitEvent(child: ChildProcess, log: string, ev: string, timeoutMs: number, sinceLen = 0): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 500 && Date.now() < deadline; i++) {
    if (existsSync(log)) {
      for (const line of readFileSync(log).subarray(sinceLen).toString('utf8').split('\n')) {
        if (!line.includes(`"ev":"${ev}"`)) continue;
        try { return (JSON.parse(line) as { at: number }).at; } catch { /* a partial line */ }
      }
    }
    if (child.exitCode !== null || child.signalCode !== null) break;
    await sleep(10);
  }
  const text = existsSync(log) ? readFileSync(log).subarray(sinceLen).toString('utf8').trim().split('\n').slice(-5).join('\n') : '';
  throw new Error(`the delayer did not report ${ev}: ${text || 'no output'}`);
}

/** What the relay does to an uplink's tunnel (all optional; see agents/delayer.mjs). */
export interface RelayOptions {
  /** added round trip, ms (half each way) */
  rttMs?: number;
  /** ± jitterMs/2 each way, uniformly; never reorders */
  jitterMs?: number;
  /** datagrams waiting per direction at most (default 2048) */
  maxQueue?: number;
  /** the added delay grows from 0 to rttMs over this time */
  rampMs?: number;
  /** the upstream (main → uplink router) direction is a line of this many kbit/s with a queue */
  rateKbitUp?: number;
  rateKbitDown?: number;
  /** the queue's limit: the longest a datagram waits for the line (default 2000); beyond it, tail drop */
  queueMs?: number;
  /** … or this many bytes at the rate, when shorter */
  queueBytes?: number;
  /** how often the relay writes its counters and queueing delay to its log (default 5000) */
  reportMs?: number;
}

/** Adds `rttMs` to the uplink's round trip: every datagram of its WireGuard tunnel is held
 *  rttMs/2 each way, ± jitterMs/2 at random (order kept, so jitter never reorders). Everything
 *  through the tunnel is delayed: probes, flows, keepalives. At most `maxQueue` datagrams wait
 *  per direction; more are dropped. With rampMs the delay grows from 0 over that time, as a
 *  filling queue does. Replaces latency already on this uplink. */
export async function latency(lab: Lab, up: Uplink, rttMs: number, jitterMs = 0, maxQueue = 2048, rampMs = 0): Promise<ActiveFault> {
  return relay(lab, up, { rttMs, jitterMs, maxQueue, rampMs });
}

/** A rate-limited line with a deep FIFO on the uplink: a saturating upload makes real queueing
 *  delay (bufferbloat) for everything behind it, probes included, up to queueMs. */
export async function rateLimit(lab: Lab, up: Uplink, o: { rateKbitUp: number; queueMs?: number; rateKbitDown?: number; reportMs?: number }): Promise<ActiveFault> {
  return relay(lab, up, { queueMs: 2000, reportMs: 500, ...o });
}

/** Puts the userspace relay into the uplink's tunnel with these settings (replacing one already there). */
export async function relay(lab: Lab, up: Uplink, o: RelayOptions): Promise<ActiveFault> {
  await removeLatency(lab, up);
  const u = ADDR.underlay[up.index]!;
  const rttMs = Math.max(0, o.rttMs ?? 0);
  const oneWayMs = rttMs / 2;
  const oneWayJitterMs = Math.min(oneWayMs, Math.max(0, o.jitterMs ?? 0) / 2);
  const rated = (o.rateKbitUp ?? 0) > 0 || (o.rateKbitDown ?? 0) > 0;
  const queueMs = rated ? Math.max(1, o.queueMs ?? 2000) : 0;
  const args = {
    a: { host: u.up, port: RELAY_PORT_MAIN }, aPeer: { host: u.main, port: ADDR.wgPort + 1 + up.index },
    b: { host: u.up, port: RELAY_PORT_UP }, bPeer: { host: u.up, port: ADDR.wgPort },
    delayMs: oneWayMs, jitterMs: oneWayJitterMs, maxQueue: o.maxQueue ?? 2048, reportMs: o.reportMs ?? 5000, rampMs: o.rampMs ?? 0,
    rateKbitUp: o.rateKbitUp ?? 0, rateKbitDown: o.rateKbitDown ?? 0, queueMs: queueMs || 2000, queueBytes: o.queueBytes ?? 0,
  };
  const log = logPath(lab, `delayer-${up.name}`);
  const logLen = () => (existsSync(log) ? statSync(log).size : 0);
  const startLen = logLen();
  const child = lab.procs.start(`delayer ${up.name}`, inNs(up.ns, [process.execPath, AGENTS + 'delayer.mjs', JSON.stringify({ ...args, armed: false })]), { logFile: log });
  let byLab = relays.get(lab);
  if (!byLab) relays.set(lab, byLab = new Map());
  // what it may still hold when it is taken out: the delay plus a full queue
  byLab.set(up.name, { child, holdMs: oneWayMs + oneWayJitterMs + queueMs, log, startedAt: Date.now() });
  saveState(lab);
  let at: number;
  try {
    await waitEvent(child, log, 'ready', 5000, startLen);
    const tp = await tunnelPointer(lab, up);
    // The relay starts as a plain forwarder (no delay, no rate limit). Point both ends at it,
    // then block the direct path and point them again in the same shell (a direct packet in
    // between may have pulled an end back; after the block none can), check that both stay.
    await tp.point(true);
    const rules = join(lab.dir, `delay-${up.name}.nft`);
    writeFileSync(rules, `table ip ${DELAY_TABLE} {\n`
      + ` chain direct_in { type filter hook input priority -5; ip saddr ${u.main} udp dport ${ADDR.wgPort} drop; }\n`
      + ` chain direct_out { type filter hook output priority -5; ip daddr ${u.main} udp sport ${ADDR.wgPort} drop; }\n}\n`);
    await tp.point(true, [inNs(up.ns, ['nft', '-f', rules]).map(q).join(' ')]);
    await settlePointing(tp, true);
    // What the switch-over may have lost (a few ms of packets) is behind us before the fault
    // begins: only then does the relay start delaying, so the fault starts exactly at `at`.
    await sleep(SETTLE_MS);
    const armLen = logLen();
    child.kill('SIGUSR1');
    at = await waitEvent(child, log, 'armed', 2000, armLen);
  } catch (e) {
    await removeLatency(lab, up);
    throw e;
  }
  const parts = [
    ...(rttMs > 0 ? [`+${rttMs} ms round trip${(o.jitterMs ?? 0) > 0 ? ` ± ${o.jitterMs} ms` : ''}${(o.rampMs ?? 0) > 0 ? ` (ramp over ${o.rampMs} ms)` : ''}`] : []),
    ...((o.rateKbitUp ?? 0) > 0 ? [`upstream ${o.rateKbitUp} kbit/s`] : []),
    ...((o.rateKbitDown ?? 0) > 0 ? [`downstream ${o.rateKbitDown} kbit/s`] : []),
    ...(rated ? [`queue ≤ ${queueMs} ms, tail drop`] : []),
  ];
  return { kind: 'latency', uplink: up, at, describe: `${up.name} ${parts.join(', ') || 'relay, no delay'}` };
}

/** One direction's figures in a relay report (agents/delayer.mjs). */
export interface RelayDirection {
  name: string;
  rateKbit: number;
  forwarded: number;
  dropped: number;
  tailDrops: number;
  bytes: number;
  /** queueing delay now (ms a datagram arriving now would wait for the line) */
  queueMs: number;
  /** largest and mean queueing delay of the datagrams that arrived since the report before */
  queueMaxMs: number;
  queueAvgMs: number;
}

export interface RelayReport { at: number; up: RelayDirection; down: RelayDirection }

/** The reports of the relay now on this uplink, from sinceMs on (empty when it has none). */
export function relayReports(lab: Lab, up: Uplink, sinceMs = 0): RelayReport[] {
  const r = relays.get(lab)?.get(up.name);
  if (!r || !existsSync(r.log)) return [];
  const out: RelayReport[] = [];
  for (const line of readFileSync(r.log, 'utf8').split('\n')) {
    if (!line.includes('"ev":"stats"')) continue;
    try {
      const j = JSON.parse(line) as { at: number; directions: [RelayDirection, RelayDirection] };
      if (j.at >= Math.max(sinceMs, r.startedAt)) out.push({ at: j.at, up: j.directions[0], down: j.directions[1] });
    } catch { /* a partial last line */ }
  }
  return out;
}

/** Takes the relay out without losing what it holds. The relay stops delaying new datagrams,
 *  the direct path opens and both ends are pointed at each other while it still forwards; once
 *  what it held has gone out it stops and both ends are pointed straight again. That last step is
 *  needed: a datagram coming from the relay makes an end roam back to it, and two ends can keep
 *  each other on it that way. Only what is sent between the relay's exit and the last `wg set`
 *  (a few ms) is lost. A no-op when the uplink has no latency. */
async function removeLatency(lab: Lab, up: Uplink): Promise<void> {
  const relay = relays.get(lab)?.get(up.name);
  const blocked = (await run(inNs(up.ns, ['nft', 'list', 'table', 'ip', DELAY_TABLE]))).code === 0;
  if (!relay && !blocked) return;
  const tp = await tunnelPointer(lab, up);
  const alive = relay !== undefined && relay.child.exitCode === null && relay.child.signalCode === null;
  if (alive) relay.child.kill('SIGUSR2');
  // the relay forwards new datagrams at once now; an end it still reaches roams back to it and
  // loses nothing while it runs
  await tp.point(false, blocked ? [inNs(up.ns, ['nft', 'delete', 'table', 'ip', DELAY_TABLE]).map(q).join(' ')] : []);
  if (relay) {
    if (alive) {
      await sleep(relay.holdMs + 50);
      // once it has sent what it held: end it and point both ends straight in the same shell
      await tp.point(false, [`kill -TERM ${relay.child.pid}`]);
    }
    await lab.procs.stop(relay.child, 1000);
    relays.get(lab)?.delete(up.name);
  }
  await settlePointing(tp, false);
}
