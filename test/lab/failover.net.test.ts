// The lab with wanpulse running: what a user of the network notices when an uplink dies, comes
// back, or merely loses some packets. Needs root and network namespaces; skips loudly otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loss, oneway, restore, type Direction } from './faults.ts';
import { failover, type FailoverResult } from './scenario.ts';
import { startOnlineSession, stopSession, type Session } from './session.ts';
import { sleep } from './sh.ts';
import { preflight } from './topology.ts';
import { startClient } from './traffic.ts';
import { waitStatus } from './daemon.ts';
import { readFileSync, readdirSync } from 'node:fs';

/** argv of every fping bound to `device` (read from /proc: what really runs, not what wanpulse says) */
function fpingsOn(device: string): string[][] {
  const out: string[][] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let argv: string[];
    try { argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean); } catch { continue; }
    if (argv[0]?.endsWith('fping') && argv.includes(device)) out.push(argv);
  }
  return out;
}

const why = await preflight();
let s: Session | null = null;
let cutResult: FailoverResult | null = null;

if (why) {
  console.log(`SKIP: ${why}`);
  test.skip('lab failover scenarios', () => undefined);
} else {
  test.before(async () => {
    s = await startOnlineSession();
  });
  test.after(async () => { if (s) await stopSession(s); });

  test('after a cut, the stream and new connections go through the other uplink', async () => {
    const lab = s!.lab;
    const client = await startClient(lab, { streamOn: 'wg1', long: true, longOn: 'wg1', tcpFlows: 4 });
    try {
      await client.waitFor((e) => e.ev === 'via' && e.flow === 'long', 5000);
      cutResult = await failover(s!, client, lab.uplinks[0], {
        holdMs: 1500,
        onStep: (step) => {
          if (step !== 'restoring') return;
          // while wg1 is down every flow that still gets replies gets them through wg2
          assert.is(client.current.get('stream'), 'wg2');
          assert.is(client.current.get('long'), 'wg2');
          const summary = client.lastSummary()!;
          for (const [flow, f] of Object.entries(summary.flows)) if (f.recv > 0) assert.is(f.uplink, 'wg2', `${flow} replied through ${f.uplink}`);
        },
      });
      assert.ok(cutResult.detectMs !== null, 'wanpulse declared wg1 offline');
      assert.ok(cutResult.switchMs !== null, 'the default route lost wg1');
      assert.ok(cutResult.outageMs !== null && cutResult.outageMs < 5000, `the stream recovered (outage ${cutResult.outageMs} ms)`);
    } finally {
      await lab.procs.stop(client.child, 1000);
    }
  });

  test('while a stream flows, its uplink is probed once a second; when it is cut, quick probes confirm it', async () => {
    const lab = s!.lab;
    const up = lab.uplinks[0];
    await waitStatus(s!.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 15_000);
    const client = await startClient(lab, { streamOn: 'wg1' });
    try {
      await client.waitFor((e) => e.ev === 'via' && e.flow === 'stream', 5000);
      const slow = await waitStatus(s!.daemon, (st) => st.uplinks.find((u) => u.iface === 'wg1')?.probing === 'slow', 8000);
      assert.ok(slow, 'wg1 probed slowly while the stream flows');
      const argv = fpingsOn(up.mainDev);
      assert.is(argv.length, 1, JSON.stringify(argv));
      const period = Number(argv[0]![argv[0]!.indexOf('-p') + 1]);
      const targets = argv[0]!.filter((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a)).length;
      assert.ok(period / targets >= 1000, `fping -p ${period} for ${targets} targets: at most one probe per second`);
      const r = await failover(s!, client, up, { holdMs: 500 });
      assert.ok(r.detectMs !== null, 'offline');
      const t = s!.status.find('wg1', 'offline', r.injectedAt - 50)!;
      assert.match(t.reason, /traffic stopped .* quick probes/);
    } finally {
      await lab.procs.stop(client.child, 1000);
    }
  });

  test('after recovery both uplinks carry traffic', async () => {
    assert.ok(cutResult?.recoveryMs !== null, 'wanpulse declared wg1 online again');
    assert.ok(cutResult?.backInRouteMs !== null, 'wg1 is back in the default route');
    const client = await startClient(s!.lab, { udpFlows: 8, tcpFlows: 8 });
    try {
      await sleep(2500);
      const per = client.flowsPerUplink();
      assert.ok((per.wg1 ?? 0) > 0 && (per.wg2 ?? 0) > 0, `flows per uplink: ${JSON.stringify(per)}`);
    } finally {
      await s!.lab.procs.stop(client.child, 1000);
    }
  });

  test('MQTT published both transitions of wg1 and its retained state', () => {
    const events = s!.mqtt.events().filter((e) => e.iface === 'wg1');
    assert.ok(events.some((e) => e.from === 'online' && e.to === 'offline'), JSON.stringify(events));
    assert.ok(events.some((e) => e.from === 'offline' && e.to === 'online'), JSON.stringify(events));
    const states = s!.mqtt.messages.filter((m) => m.topic === 'wanpulse/lab/uplink/wg1').map((m) => (JSON.parse(m.payload) as { state: string }).state);
    assert.ok(states.includes('offline') && states.at(-1) === 'online', `uplink/wg1 states: ${states.join(' ')}`);
  });

  // Only one direction dead: upstream (nothing main sends arrives) or downstream (nothing comes
  // back). The tunnel device still sends, but receives nothing: a cut, busy or not.
  for (const dir of ['up', 'down'] as Direction[]) {
    test(`a one-way cut (${dir}stream dead) of a busy wg2 is declared offline, and it comes back`, async () => {
      const lab = s!.lab;
      const up = lab.uplinks[1];
      assert.ok(await waitStatus(s!.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 15_000), 'both online before');
      const client = await startClient(lab, { streamOn: up.name });
      try {
        await client.waitFor((e) => e.ev === 'via' && e.flow === 'stream', 5000);
        const f = await oneway(up, dir);
        const st = await waitStatus(s!.daemon, (x) => x.uplinks.find((u) => u.iface === up.name)?.state === 'offline', 5000);
        const end = await restore(lab, f);
        assert.ok(st, `${up.name} offline within 5 s of the one-way cut (log:\n${s!.daemon.log.slice(-8).join('\n')})`);
        assert.is(st!.uplinks.find((u) => u.iface === lab.uplinks[0].name)?.state, 'online', 'the other uplink stayed online');
        assert.ok(await waitStatus(s!.daemon, (x) => x.uplinks.every((u) => u.state === 'online'), 15_000), `online again after the restore at ${end}`);
      } finally {
        await lab.procs.stop(client.child, 1000);
      }
    });
  }

  test('5 % random loss for 30 s causes no switchover', async () => {
    const lab = s!.lab;
    await waitStatus(s!.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 15_000);
    const f = await loss(lab.uplinks[0], 5);
    await sleep(30_000);
    const end = await restore(lab, f);
    s!.status.poll();
    const offline = s!.status.transitions.filter((t) => t.to === 'offline' && t.at >= f.at && t.at <= end);
    const routeLost = s!.route.changes.filter((c) => c.at >= f.at && c.at <= end && !c.uplinks.includes('wg1'));
    assert.equal(offline, [], 'no uplink went offline');
    assert.equal(routeLost, [], 'wg1 stayed in the default route');
  });
}

test.run();
