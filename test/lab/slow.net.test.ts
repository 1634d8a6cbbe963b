// A slow uplink is not a dead one (issue 11): the real wanpulse in the lab, with traffic evidence
// (the default), while the lab's userspace relay delays every packet of wg1's tunnel or queues it
// behind a saturating upload. Late probe replies and the tunnel's receive counters keep wg1 out
// of offline; a cut while it is slow is still found. Needs root and network namespaces; skips
// loudly otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cut, latency, rateLimit, relayReports, restore } from './faults.ts';
import { until } from './scenario.ts';
import { startOnlineSession, stopSession, type Session } from './session.ts';
import { sleep } from './sh.ts';
import { preflight } from './topology.ts';
import { startClient } from './traffic.ts';
import { logTail, waitStatus } from './daemon.ts';

const why = await preflight();
let s: Session | null = null;

const allOnline = () => waitStatus(s!.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 15_000);
const wentOffline = (iface: string, from: number) => { s!.status.poll(); return s!.status.transitions.filter((t) => t.iface === iface && t.to === 'offline' && t.at >= from); };

if (why) {
  console.log(`SKIP: ${why}`);
  test.skip('lab slow-uplink scenarios', () => undefined);
} else {
  test.before(async () => {
    s = await startOnlineSession();
  });
  test.after(async () => { if (s) await stopSession(s); });

  // A queue fills gradually (bufferbloat builds at the line's rate); a step from 20 ms to 1.2 s
  // would be 1.2 s of total silence, which no tracker can tell from a cut. So the delay rises over
  // 3 s, then stays at 1.2 s.
  test('round trip rising to 1.2 s and held 10 s while a stream runs on wg1: never offline', async () => {
    const lab = s!.lab;
    const up = lab.uplinks[0]!;
    const client = await startClient(lab, { streamOn: up.name });
    try {
      await sleep(1500);
      const f = await latency(lab, up, 1200, 0, 2048, 3000);
      await sleep(13_000);
      await restore(lab, f);
      assert.equal(wentOffline(up.name, f.at), [], `log (read at, relative to the fault):\n${logTail(s!.daemon, 16, f.at)}`);
    } finally {
      await lab.procs.stop(client.child, 1000);
    }
    assert.ok(await allOnline(), 'online again after');
  });

  test('an RTT spike to 700 ms for 10 s on an idle wg1: never offline', async () => {
    const lab = s!.lab;
    const up = lab.uplinks[0]!;
    assert.ok(await allOnline(), 'both online before');
    const f = await latency(lab, up, 700);
    await sleep(10_000);
    const restoredAt = await restore(lab, f);
    const when = (t: { at: number; reason: string }) => `${t.at - f.at} ms after the spike began (restore returned at ${restoredAt - f.at} ms): ${t.reason}`;
    assert.equal(wentOffline(up.name, f.at).map(when), [], `log (read at, relative to the fault):\n${logTail(s!.daemon, 16, f.at)}`);
    assert.ok(await allOnline(), 'online again after');
  });

  // Real bufferbloat: wg1's upstream is a 1 Mbit/s line with a 2 s queue (tail drop) and a TCP
  // upload from the LAN fills it, so every probe waits behind the upload and misses its deadline.
  // The upload's ACKs and the late replies say the line works: degraded at most, never offline.
  test('a TCP upload filling a 2 s queue on wg1: ≥ 1 s queueing, the upload goes on, never offline', async () => {
    const lab = s!.lab;
    const up = lab.uplinks[0]!;
    assert.ok(await allOnline(), 'both online before');
    const f = await rateLimit(lab, up, { rateKbitUp: 1000, queueMs: 2000, reportMs: 250 });
    const client = await startClient(lab, { stream: false, upload: true, uploadOn: up.name, uploadKbit: 1500 });
    try {
      const full = await until(() => relayReports(lab, up, f.at).find((r) => r.up.queueMs >= 1000), 25_000);
      assert.ok(full, `the queue reached 1 s (reports: ${JSON.stringify(relayReports(lab, up, f.at).slice(-3).map((r) => r.up))})`);
      const bytes = () => { const e = client.events.filter((x) => x.ev === 'upload').at(-1); return e && e.ev === 'upload' ? e.bytes : 0; };
      const before = bytes();
      await sleep(5000);
      assert.ok(bytes() > before, `the upload kept going (${before} → ${bytes()} bytes at the sink)`);
      assert.is(client.current.get('upload'), up.name, 'the upload stayed on wg1');
      assert.equal(wentOffline(up.name, f.at), [], `log (read at, relative to the fault):\n${logTail(s!.daemon, 16, f.at)}`);
    } finally {
      await lab.procs.stop(client.child, 1000);
      await restore(lab, f);
    }
    assert.ok(await allOnline(), 'online again after');
  });

  test('a cut while wg1 is slow and busy is still declared offline', async () => {
    const lab = s!.lab;
    const up = lab.uplinks[0]!;
    assert.ok(await allOnline(), 'both online before');
    const client = await startClient(lab, { streamOn: up.name });
    const slow = await latency(lab, up, 1200);
    try {
      await sleep(3000);
      const c = await cut(up);
      const st = await waitStatus(s!.daemon, (x) => x.uplinks.find((u) => u.iface === up.name)?.state === 'offline', 5000);
      const took = Date.now() - c.at;
      await restore(lab, c);
      assert.ok(st, `${up.name} declared offline after the cut (waited ${took} ms)`);
    } finally {
      await restore(lab, slow);
      await lab.procs.stop(client.child, 1000);
    }
  });
}

test.run();
