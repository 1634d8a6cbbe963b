// drainByMark against the real kernel conntrack table of a network namespace created here
// (needs root and conntrack-tools). Entries are inserted with `conntrack -I`; no packet is sent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainByMark } from '../../../src/actions/mwan3/drain.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import { nodeClock, nodeSpawner } from '../../../src/platform/node.ts';

const NS = `wp-drain-${process.pid}`;

function inNs(...argv: string[]): string {
  return execFileSync('ip', ['netns', 'exec', NS, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function flow(src: string, dst: string, sport: number, mark: number) {
  inNs('conntrack', '-I', '-p', 'tcp', '-s', src, '-d', dst, '--sport', String(sport), '--dport', '443',
    '--state', 'ESTABLISHED', '-t', '300', '-m', String(mark));
}

function marks(family: 'ipv4' | 'ipv6'): number[] {
  const out = inNs('conntrack', '-L', '-f', family);
  return out.split('\n').filter(Boolean).map((l) => Number(/mark=(\d+)/.exec(l)?.[1] ?? -1)).sort((a, b) => a - b);
}

test('deletes exactly the flows with this uplink\'s mark, per family, and "nothing left" is fine', async () => {
  const dir = mkdtempSync(join(tmpdir(), `wp-drain-${process.pid}-`));
  execFileSync('ip', ['netns', 'add', NS]);
  try {
    // conntrack run inside the namespace, called the way the daemon calls it
    const wrapper = join(dir, 'conntrack');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${NS} conntrack "$@"\n`);
    chmodSync(wrapper, 0o755);
    flow('10.0.0.1', '10.0.0.2', 1000, 0x100);
    flow('10.0.0.1', '10.0.0.2', 1001, 0x100);
    flow('10.0.0.1', '10.0.0.2', 1002, 0x200);
    flow('10.0.0.1', '10.0.0.2', 1003, 0x1100); // id 17: shares bit 0x100 but is another uplink
    flow('10.0.0.1', '10.0.0.2', 1004, 0x100 | 0x1); // uplink 1 plus a bit another tool set outside mmx_mask
    flow('fd00::1', 'fd00::2', 1000, 0x100);

    const log = memoryLog();
    const r4 = await drainByMark(nodeSpawner, log, 0x100, 0x3f00, 'ipv4', { clock: nodeClock, conntrack: wrapper, ipset: join(dir, 'no-ipset') });
    assert.ok(r4.ok, r4.errors.join());
    assert.is(r4.flowsDeleted, 3);
    assert.equal(marks('ipv4'), [0x200, 0x1100]);
    assert.equal(marks('ipv6'), [0x100], 'the IPv4 drain leaves IPv6 flows alone');

    const r6 = await drainByMark(nodeSpawner, log, 0x100, 0x3f00, 'ipv6', { clock: nodeClock, conntrack: wrapper, ipset: join(dir, 'no-ipset') });
    assert.ok(r6.ok, r6.errors.join());
    assert.is(r6.flowsDeleted, 1);
    assert.equal(marks('ipv6'), []);

    const again = await drainByMark(nodeSpawner, log, 0x100, 0x3f00, 'ipv4', { clock: nodeClock, conntrack: wrapper, ipset: join(dir, 'no-ipset') });
    assert.ok(again.ok, again.errors.join());
    assert.is(again.flowsDeleted, 0);
    assert.equal(marks('ipv4'), [0x200, 0x1100]);
  } finally {
    try { execFileSync('ip', ['netns', 'del', NS]); } catch { /* already gone */ }
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
