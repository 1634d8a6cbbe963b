// The lab's network without wanpulse: both tunnels carry traffic, per-flow balancing spreads
// flows, and every fault really breaks the uplink and is really undone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cut, ispDown, killPeer, restore, type ActiveFault } from './faults.ts';
import { inNs, run } from './sh.ts';
import { ADDR, createLab, destroyLab, preflight, setDefaultRoute, type Lab } from './topology.ts';
import { startClient, startSink } from './traffic.ts';
import { sleep } from './sh.ts';

const why = await preflight();
let lab: Lab | null = null;

/** Targets answering through an uplink's tunnel (the way wanpulse probes: bound to the device). */
async function answering(up: Lab['uplinks'][number]): Promise<number> {
  const r = await run(inNs(lab!.ns.main, ['fping', '-q', '-a', '-r', '0', '-t', '300', '-I', up.mainDev, ...ADDR.targets]));
  return r.stdout.split('\n').filter(Boolean).length;
}

if (why) {
  console.log(`SKIP: ${why}`);
  test.skip('lab topology', () => undefined);
} else {
  test.before(async () => {
    lab = await createLab();
    await setDefaultRoute(lab, lab.uplinks);
    await startSink(lab);
  });
  test.after(async () => { if (lab) await destroyLab(lab); });

  test('both targets answer through both tunnels', async () => {
    // the first probe may race the WireGuard handshake
    for (const up of lab!.uplinks) {
      let n = 0;
      for (let i = 0; i < 5 && n < 2; i++) n = await answering(up);
      assert.is(n, 2, `${up.name}`);
    }
  });

  test('flows from lan are spread over both uplinks', async () => {
    const client = await startClient(lab!, { udpFlows: 8, tcpFlows: 8 });
    try {
      await sleep(1500);
      const per = client.flowsPerUplink();
      assert.ok((per.wg1 ?? 0) > 0 && (per.wg2 ?? 0) > 0, JSON.stringify(per));
    } finally {
      await lab!.procs.stop(client.child, 1000);
    }
  });

  for (const kind of ['cut', 'peer-killed', 'isp-down'] as const) {
    test(`${kind}: uplink 1 stops answering, uplink 2 keeps answering, restore brings it back`, async () => {
      const [up1, up2] = lab!.uplinks;
      const f: ActiveFault = kind === 'cut' ? await cut(up1) : kind === 'peer-killed' ? await killPeer(lab!, up1) : await ispDown(up1);
      assert.is(await answering(up1), 0);
      assert.is(await answering(up2), 2);
      await restore(lab!, f);
      let n = 0;
      for (let i = 0; i < 10 && n < 2; i++) n = await answering(up1);
      assert.is(n, 2);
    });
  }
}

test.run();
