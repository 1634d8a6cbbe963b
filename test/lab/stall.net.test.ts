// A stalled daemon is not a dead uplink: the real wanpulse in the lab is stopped with SIGSTOP
// (as a slow router stalls while mwan3 rebuilds its rules) and continued; its fping children run
// on and buffer their answers. No uplink may go offline. A cut during the stall is still found
// once the daemon runs again. Needs root and network namespaces; skips loudly otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cut, restore } from './faults.ts';
import { startSession, stopSession, type Session } from './session.ts';
import { sleep } from './sh.ts';
import { preflight } from './topology.ts';
import { waitStatus } from './daemon.ts';

const why = await preflight();
let s: Session | null = null;

const allOnline = () => waitStatus(s!.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 15_000);

async function stall(ms: number, during?: () => Promise<void>): Promise<void> {
  process.kill(s!.daemon.pid, 'SIGSTOP');
  try {
    await during?.();
    await sleep(ms);
  } finally {
    process.kill(s!.daemon.pid, 'SIGCONT');
  }
}

if (why) {
  console.log(`SKIP: ${why}`);
  test.skip('lab stall scenarios', () => undefined);
} else {
  test.before(async () => {
    s = await startSession();
    if (!await allOnline()) throw new Error(`wanpulse did not bring both uplinks online:\n${s.daemon.log.slice(-20).join('\n')}`);
  });
  test.after(async () => { if (s) await stopSession(s); });

  for (const ms of [1000, 3000, 5000]) {
    test(`a ${ms / 1000} s stop of the daemon (SIGSTOP, SIGCONT) takes no uplink offline`, async () => {
      assert.ok(await allOnline(), 'both online before');
      const from = Date.now();
      await stall(ms);
      await sleep(2000);
      s!.status.poll();
      const offline = s!.status.transitions.filter((t) => t.to === 'offline' && t.at >= from);
      const routeLost = s!.route.changes.filter((c) => c.at >= from && c.uplinks.length < s!.lab.uplinks.length);
      assert.equal(offline, [], `no uplink went offline; log:\n${s!.daemon.log.slice(-10).join('\n')}`);
      assert.equal(routeLost, [], 'every uplink stayed in the default route');
    });
  }

  test('a cut during a stall is detected once the daemon runs again', async () => {
    assert.ok(await allOnline(), 'both online before');
    const up = s!.lab.uplinks[0]!;
    let f: Awaited<ReturnType<typeof cut>> | null = null;
    await stall(1000, async () => { f = await cut(up); });
    const woke = Date.now();
    const st = await waitStatus(s!.daemon, (x) => x.uplinks.find((u) => u.iface === up.name)?.state === 'offline', 3000);
    const other = st?.uplinks.find((u) => u.iface !== up.name)?.state;
    await restore(s!.lab, f!);
    assert.ok(st, `${up.name} declared offline after the stall (waited ${Date.now() - woke} ms)`);
    assert.is(other, 'online', 'the other uplink stayed online');
  });
}

test.run();
