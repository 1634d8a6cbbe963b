// The lab's translator from generated UCI to `wg`/`ip` arguments, without namespaces: setup runs
// on the lab's description (real `wg` keys) and the lab's tunnels are what it wrote.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLabNet, labDescription, wgSetArgs } from './from-setup.ts';

const wg = spawnSync('sh', ['-c', 'command -v wg'], { encoding: 'utf8' }).stdout.trim();

test('the lab description is valid and has the two uplink routers the lab builds', () => {
  const d = labDescription();
  assert.equal(d.uplinks.map((u) => [u.name, u.endpointHost, u.mainAddr, u.upAddr]), [['wg1', '172.30.1.2', '10.91.1.2', '10.91.1.1'], ['wg2', '172.30.2.2', '10.91.2.2', '10.91.2.1']]);
});

test('tunnels, peers, track_ips and NAT come from the generated scripts', async () => {
  if (!wg) { console.log('SKIP: wg (wireguard-tools) is not installed'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'wplabnet-'));
  try {
    const net = await generateLabNet(dir);
    const main = readFileSync(join(dir, 'setup/main.uci'), 'utf8');
    assert.is(net.tunnels.length, 2);
    for (const t of net.tunnels) {
      const upFile = readFileSync(join(dir, `setup/${t.name}.uci`), 'utf8');
      assert.ok(main.includes(t.main.privateKey) && !main.includes(t.up.privateKey));
      assert.ok(upFile.includes(t.up.privateKey) && !upFile.includes(t.main.privateKey));
      assert.equal(t.main.peer.allowedIps, ['0.0.0.0/0']);
      assert.equal(t.up.peer.allowedIps, [`${t.main.address.split('/')[0]}/32`]);
      assert.is(t.main.mtu, 1420);
      assert.equal(t.trackIps.slice(1), ['203.0.113.1', '203.0.113.2']);
      assert.is(t.trackIps[0], t.up.address.split('/')[0]);
      assert.is(t.reliability, 2);
      assert.equal([t.weight, t.metric], [1, 1]);
      assert.is(t.natSrc, t.up.address.replace(/\.1\/24$/, '.0/24'));
      const args = wgSetArgs(t.main, '/k');
      assert.equal(args, ['listen-port', String(t.main.listenPort), 'private-key', '/k', 'peer', t.main.peer.publicKey, 'allowed-ips', '0.0.0.0/0', 'endpoint', t.main.peer.endpoint!, 'persistent-keepalive', '25']);
      assert.not.ok(net.summary.includes(t.main.privateKey) || net.summary.includes(t.up.privateKey), 'no private key in the summary');
    }
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
