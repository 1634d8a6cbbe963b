// Faults injected into an uplink router's namespace, each restorable. Loss and cuts are nftables
// rules in a table of their own (`ip wplab_fault`), so restoring is deleting that table; no netem.
import { ADDR, restartUpWireGuard, type Lab, type Uplink } from './topology.ts';
import { inNs, must, run, sleep } from './sh.ts';

export type FaultKind = 'cut' | 'loss' | 'peer-killed' | 'isp-down';

export interface ActiveFault {
  kind: FaultKind;
  uplink: Uplink;
  /** epoch ms when the fault took effect (the command returned) */
  at: number;
  describe: string;
}

const TABLE = 'wplab_fault';

async function replaceFaultTable(up: Uplink, chains: string): Promise<void> {
  await run(inNs(up.ns, ['nft', 'delete', 'table', 'ip', TABLE]));
  await must(inNs(up.ns, ['nft', '-f', '-']), { input: `table ip ${TABLE} {\n${chains}}\n` });
}

/** Drops everything the uplink forwards and its WireGuard traffic: the line is dead. */
export async function cut(up: Uplink): Promise<ActiveFault> {
  await replaceFaultTable(up, [
    ' chain cut_forward { type filter hook forward priority -10; drop; }',
    ` chain cut_input { type filter hook input priority -10; udp dport ${ADDR.wgPort} drop; }`,
    ` chain cut_output { type filter hook output priority -10; udp sport ${ADDR.wgPort} drop; }`,
  ].join('\n') + '\n');
  return { kind: 'cut', uplink: up, at: Date.now(), describe: `${up.name} cut (all traffic dropped)` };
}

/** Drops lossPct % of the packets going out to the ISP at random. Only that direction, so it is
 *  also the share of probes (and of request/reply exchanges) that fail. */
export async function loss(up: Uplink, lossPct: number): Promise<ActiveFault> {
  const pct = Math.max(0, Math.min(100, Math.round(lossPct)));
  await replaceFaultTable(up, ` chain cut_forward { type filter hook forward priority -10; oifname "isp0" numgen random mod 100 < ${pct} drop; }\n`);
  return { kind: 'loss', uplink: up, at: Date.now(), describe: `${up.name} ${pct} % random loss` };
}

/** Kills the uplink router's wireguard-go: the tunnel device disappears on that side. */
export async function killPeer(lab: Lab, up: Uplink): Promise<ActiveFault> {
  const child = lab.upWg.get(up.upDev);
  if (child) await lab.procs.stop(child, 1000);
  lab.upWg.delete(up.upDev);
  return { kind: 'peer-killed', uplink: up, at: Date.now(), describe: `${up.name} WireGuard peer killed` };
}

/** Takes the uplink router's ISP link down (its default route goes with it). */
export async function ispDown(up: Uplink): Promise<ActiveFault> {
  await must(['ip', '-n', up.ns, 'link', 'set', 'isp0', 'down']);
  return { kind: 'isp-down', uplink: up, at: Date.now(), describe: `${up.name} ISP link down` };
}

/** Undoes a fault; returns the epoch ms when the uplink works again from the lab's side. */
export async function restore(lab: Lab, fault: ActiveFault): Promise<number> {
  const up = fault.uplink;
  switch (fault.kind) {
    case 'cut':
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
  }
  return Date.now();
}

/** Removes every fault from every uplink (used between bench runs and on the way out). */
export async function restoreAll(lab: Lab): Promise<void> {
  for (const up of lab.uplinks) {
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
