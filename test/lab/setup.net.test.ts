// The lab as `wanpulse setup` describes it: the tunnels run with the generated keys, addresses,
// MTU and peers; every generated track_ip answers through its own tunnel; with wanpulse running on
// the generated track_ips, an ISP line that dies behind a live tunnel fails over and comes back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ispDown, restore } from './faults.ts';
import { waitStatus, uplinkState } from './daemon.ts';
import { startOnlineSession, stopSession, type Session } from './session.ts';
import { inNs, must, run } from './sh.ts';
import { preflight, routedDevices } from './topology.ts';

const why = await preflight();
let s: Session | null = null;

if (why) {
  console.log(`SKIP: ${why}`);
  test.skip('lab from the setup description', () => undefined);
} else {
  test.before(async () => {
    s = await startOnlineSession();
  });
  test.after(async () => { if (s) await stopSession(s); });

  test('the WireGuard devices carry the generated keys, peers, addresses and MTU', async () => {
    const lab = s!.lab;
    for (const up of lab.uplinks) {
      const t = lab.net!.tunnels.find((x) => x.name === up.name)!;
      const pub = async (priv: string) => (await must(['wg', 'pubkey'], { input: `${priv}\n` })).trim();
      assert.is((await must(inNs(lab.ns.main, ['wg', 'show', up.mainDev, 'public-key']))).trim(), await pub(t.main.privateKey));
      assert.is((await must(inNs(lab.ns.main, ['wg', 'show', up.mainDev, 'peers']))).trim(), await pub(t.up.privateKey));
      assert.is(t.main.peer.publicKey, await pub(t.up.privateKey), 'the generated main peer is the uplink router');
      assert.is((await must(inNs(up.ns, ['wg', 'show', up.upDev, 'peers']))).trim(), t.up.peer.publicKey);
      assert.match(await must(inNs(lab.ns.main, ['wg', 'show', up.mainDev, 'endpoints'])), t.main.peer.endpoint!);
      const link = JSON.parse(await must(['ip', '-n', lab.ns.main, '-4', '-j', 'addr', 'show', 'dev', up.mainDev])) as { mtu: number; addr_info: { local: string; prefixlen: number }[] }[];
      assert.is(link[0]!.mtu, t.main.mtu);
      assert.equal(link[0]!.addr_info.map((a) => `${a.local}/${a.prefixlen}`), [t.main.address]);
    }
  });

  test('every generated track_ip answers through its own tunnel (bound to the device)', async () => {
    const lab = s!.lab;
    for (const up of lab.uplinks) {
      const t = lab.net!.tunnels.find((x) => x.name === up.name)!;
      assert.is(t.trackIps.length, 3);
      let alive: string[] = [];
      for (let i = 0; i < 5 && alive.length < t.trackIps.length; i++) {
        const r = await run(inNs(lab.ns.main, ['fping', '-q', '-a', '-r', '0', '-t', '300', '-I', up.mainDev, ...t.trackIps]));
        alive = r.stdout.split('\n').filter(Boolean);
      }
      assert.equal(alive.sort(), [...t.trackIps].sort(), up.name);
    }
  });

  test("an ISP line dying behind a live tunnel: offline (reliability), route fails over, comes back", async () => {
    const lab = s!.lab;
    const up = lab.uplinks[0];
    const f = await ispDown(up);
    const off = await waitStatus(s!.daemon, (st) => uplinkState(st, up.name) === 'offline', 10_000);
    assert.ok(off, `${up.name} went offline although its tunnel address still answers`);
    let devs: string[] = [];
    for (let i = 0; i < 50 && (devs.length !== 1); i++) { devs = await routedDevices(lab); await new Promise((r) => setTimeout(r, 100)); }
    assert.equal(devs, [lab.uplinks[1].mainDev]);
    await restore(lab, f);
    const on = await waitStatus(s!.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 15_000);
    assert.ok(on, 'both uplinks online again');
  });
}

test.run();
