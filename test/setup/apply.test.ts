// --apply through a fake uci at the spawner port; running twice; sections setup did not make;
// keys (kept across runs, private ones only in their router's file, 0600, never printed).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findSection, packagesFromBatch } from '../../src/setup/command.ts';
import { router } from './harness.ts';

// the configuration and the scripts (the summary's last line says what a run changed)
const snapshot = (files: Map<string, string>) => new Map([...files].filter(([k]) => k.startsWith('/etc/config/') || (k.startsWith('/out/') && !k.endsWith('summary.txt'))));

test('--apply runs `uci -c DIR batch` with the main script, then reloads what it changed', async () => {
  const r = router();
  const res = await r.run(['--out', '/out', '--apply']);
  assert.is(res.code, 0, res.stderr);
  const argvs = r.spawner.runs.map((x) => x.argv.join(' '));
  const batch = r.spawner.runs.find((x) => x.argv[0] === '/sbin/uci')!;
  assert.equal(batch.argv, ['/sbin/uci', '-c', '/etc/config', 'batch']);
  assert.is(batch.opts.input, r.fs.files.get('/out/main.uci'));
  const after = argvs.slice(argvs.indexOf('/sbin/uci -c /etc/config batch') + 1);
  assert.equal(after, ['/etc/init.d/network reload', '/etc/init.d/firewall reload', '/etc/init.d/mwan3 restart', '/etc/init.d/wanpulse enable', '/etc/init.d/wanpulse restart']);
  assert.match(r.fs.files.get('/out/main.owned')!, /^network\.wg0 interface$/m);
});

test('a second run changes nothing: same files, no uci batch, no reload', async () => {
  const r = router();
  assert.is((await r.run(['--out', '/out', '--apply'])).code, 0);
  const first = snapshot(r.fs.files);
  const runs = r.spawner.runs.length;
  const res = await r.run(['--out', '/out', '--apply']);
  assert.is(res.code, 0, res.stderr);
  assert.match(res.stdout, /apply: nothing to change on this router/);
  assert.equal(snapshot(r.fs.files), first);
  const again = r.spawner.runs.slice(runs).map((x) => x.argv[0]);
  assert.not.ok(again.includes('/sbin/uci') || again.some((a) => a!.startsWith('/etc/init.d/')), again.join(' '));
  assert.not.ok(again.some((a, i) => a === '/usr/bin/wg' && r.spawner.runs[runs + i]!.argv[1] === 'genkey'), 'no new keys');
});

test('a dry run writes scripts, changes no config and runs no uci', async () => {
  const r = router();
  const before = snapshot(r.fs.files);
  const res = await r.run(['--out', '/out']);
  assert.is(res.code, 0);
  assert.match(res.stdout, /dry run: nothing applied/);
  for (const [k, v] of before) assert.is(r.fs.files.get(k), v, k);
  assert.ok(r.fs.files.has('/out/main.uci') && r.fs.files.has('/out/wg0.uci') && r.fs.files.has('/out/summary.txt'));
  assert.not.ok(r.spawner.runs.some((x) => x.argv[0] === '/sbin/uci'));
});

const FOREIGN = "\nconfig interface 'wg0'\n\toption proto 'static'\n\toption ipaddr '10.0.0.1'\n";

test('a section of the same name that setup did not make is never overwritten without --force', async () => {
  const r = router();
  r.fs.files.set('/etc/config/network', r.fs.files.get('/etc/config/network') + FOREIGN);
  const before = snapshot(r.fs.files);
  const res = await r.run(['--out', '/out', '--apply']);
  assert.is(res.code, 1);
  assert.match(res.stderr, /these sections exist on this router and were not made by setup: network\.wg0 \(interface\)/);
  assert.match(res.stderr, /--force/);
  assert.equal(snapshot(r.fs.files), before);
});

test('--force overwrites it, says so, and a later run is quiet', async () => {
  const r = router();
  r.fs.files.set('/etc/config/network', r.fs.files.get('/etc/config/network') + FOREIGN);
  const res = await r.run(['--out', '/out', '--apply', '--force']);
  assert.is(res.code, 0, res.stderr);
  assert.match(res.stdout, /--force: overwrites sections setup did not make: network\.wg0 \(interface\)/);
  const wg0 = findSection(r.packages().get('network')!, 'wg0')!;
  assert.is(wg0.options.get('proto'), 'wireguard');
  assert.not.ok(wg0.options.has('ipaddr'), 'options setup does not write are removed from its section');
  const again = await r.run(['--out', '/out', '--apply']);
  assert.is(again.code, 0, again.stderr);
  assert.match(again.stdout, /nothing to change/);
});

test('an uplink dropped from the description: its sections are removed on the next run', async () => {
  const three = "config setup\n\toption lan '192.168.1.1/24'\nconfig uplink 'wg0'\n\toption endpoint '172.30.1.2'\nconfig uplink 'wg1'\n\toption endpoint '172.30.2.2'\nconfig uplink 'wg2'\n\toption endpoint '172.30.3.2'\n";
  const r = router({ description: three });
  assert.is((await r.run(['--out', '/out', '--apply'])).code, 0);
  assert.ok(findSection(r.packages().get('mwan3')!, 'wg2'));
  r.fs.files.set('/etc/wanpulse/setup.conf', three.replace(/config uplink 'wg2'[^]*$/, ''));
  assert.is((await r.run(['--out', '/out', '--apply'])).code, 0);
  for (const [pkg, name] of [['mwan3', 'wg2'], ['network', 'wg2'], ['network', 'wp_wg2_peer'], ['mwan3', 'wpx_wg2']] as const) {
    assert.not.ok(findSection(r.packages().get(pkg)!, name), `${pkg}.${name} removed`);
  }
});

test('private keys: only in the owning router file, files 0600 in a 0700 dir, never printed', async () => {
  const r = router();
  const res = await r.run(['--out', '/out', '--apply']);
  assert.is(res.code, 0);
  assert.is(r.generated.length, 4);
  const key = (file: string, iface: string) => String(findSection(packagesFromBatch(r.fs.files.get(file)!).get('network')!, iface)!.options.get('private_key'));
  const mainKeys = [key('/out/main.uci', 'wg0'), key('/out/main.uci', 'wg1')];
  const upKeys = [key('/out/wg0.uci', 'wg0'), key('/out/wg1.uci', 'wg1')];
  assert.equal([...mainKeys, ...upKeys].sort(), [...r.generated].sort());
  const text = (f: string) => r.fs.files.get(f)!;
  for (const k of upKeys) assert.not.ok(text('/out/main.uci').includes(k), 'no uplink key in the main file');
  for (const k of mainKeys) assert.not.ok(text('/out/wg0.uci').includes(k) || text('/out/wg1.uci').includes(k));
  assert.not.ok(text('/out/wg0.uci').includes(upKeys[1]!), "no other uplink's key");
  for (const k of r.generated) {
    assert.not.ok(res.stdout.includes(k) || res.stderr.includes(k) || text('/out/summary.txt').includes(k), 'a private key was printed');
  }
  assert.is(r.modes.get('/out'), '700');
  for (const f of ['/out/main.uci', '/out/wg0.uci', '/out/wg1.uci']) assert.is(r.modes.get(f), '600', f);
});

test('keys are kept: from the earlier output, else from the main router config; description keys win', async () => {
  const r = router();
  assert.is((await r.run(['--out', '/out', '--apply'])).code, 0);
  const main0 = r.fs.files.get('/out/main.uci')!;
  r.fs.files.delete('/out/main.uci'); // lost: the main keys are read from /etc/config/network
  assert.is((await r.run(['--out', '/out'])).code, 0);
  assert.is(r.fs.files.get('/out/main.uci'), main0);
  assert.is(r.generated.length, 4, 'no key generated again');
  const supplied = Buffer.alloc(32, 200).toString('base64');
  r.fs.files.set('/etc/wanpulse/setup.conf', r.fs.files.get('/etc/wanpulse/setup.conf')!.replace("config uplink 'wg1'", `config uplink 'wg1'\n\toption private_key '${supplied}'`));
  const res = await r.run(['--out', '/out']);
  assert.is(res.code, 0);
  assert.match(r.fs.files.get('/out/wg1.uci')!, new RegExp(`private_key='${supplied.replace(/[+/]/g, '\\$&')}'`));
  assert.match(res.stdout, /wg1 uplink router: private key description/);
});

test('without wg and without keys in the description: one clear message, nothing written', async () => {
  const r = router({ wg: false });
  const res = await r.run(['--out', '/out']);
  assert.is(res.code, 2);
  assert.match(res.stderr, /no private key for wg0 main router: `wg` is not installed \(opkg install wireguard-tools\)/);
  assert.not.ok([...r.fs.files.keys()].some((k) => k.startsWith('/out')));
});

test('a failing uci batch is reported, nothing recorded, nothing reloaded', async () => {
  const r = router();
  r.fs.files.set('/etc/config/firewall', "\nconfig zone 'wanz'\n\toption name 'wan'\n");
  const res0 = await r.run(['--out', '/out', '--apply']);
  assert.is(res0.code, 0, 'a named wan zone is addressed by its name');
  assert.match(r.fs.files.get('/out/main.uci')!, /add_list firewall\.wanz\.network='wg0'/);
  const r2 = router();
  r2.fs.files.set('/etc/config/firewall', "\nconfig zone\n\toption name 'lan'\n");
  const res = await r2.run(['--out', '/out', '--apply']);
  assert.is(res.code, 1);
  assert.match(res.stderr, /no zone named 'wan'/);
});

test.run();
