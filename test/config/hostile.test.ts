// Broken and hostile input to the loader (issue #15): unreadable files, endless files, a BOM,
// values that try to forge messages, numbers far out of range, device names Linux cannot have,
// mwan3 options mwan3's own tracker would misread. Every case ends in a located message.
// Files are real; both platform adapters read them (txiki.js through a fake `tjs`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProblems, loadConfig } from '../../src/config/load.ts';
import { quote } from '../../src/config/quote.ts';
import type { ConfigProblem } from '../../src/config/types.ts';
import { nodeFs } from '../../src/platform/node.ts';
import type { FileSystem } from '../../src/platform/ports.ts';
import { createTxikiPlatform } from '../../src/platform/txiki.ts';
import { FakeSpawner } from '../fakes/spawner.ts';
import { fakeTjs } from '../platform/fake-tjs.ts';

const MWAN3 = "config interface 'wan'\n\toption enabled '1'\n\tlist track_ip '192.0.2.1'\n";
const root = mkdtempSync(join(tmpdir(), 'wp-hostile-'));
let n = 0;
const noSocket = class {} as never;
const runtimes: [string, FileSystem][] = [['node', nodeFs], ['txiki', createTxikiPlatform(fakeTjs(), noSocket).fs]];

/** A config dir from file texts; a value of null makes a directory, 'fifo' a FIFO. */
function dir(files: Record<string, string | null>): string {
  const d = join(root, String(n++));
  mkdirSync(d);
  for (const [name, text] of Object.entries(files)) {
    if (text === null) mkdirSync(join(d, name));
    else if (text === 'fifo') execFileSync('mkfifo', [join(d, name)]);
    else writeFileSync(join(d, name), text);
  }
  return d;
}

const lines = (ps: ConfigProblem[]) => formatProblems(ps).trimEnd().split('\n');
const errors = (ps: ConfigProblem[]) => ps.filter((p) => p.severity === 'error');

for (const [rt, fs] of runtimes) {
  const load = (d: string, spawner?: FakeSpawner) => loadConfig(spawner ? { fs, spawner } : { fs }, d, { hostname: 'r1' });

  test(`${rt}: a config file that is a directory or a FIFO is an error at the file, not a crash or a hang`, async () => {
    const d = dir({ wanpulse: null, mwan3: MWAN3, network: 'fifo' });
    const { config, problems } = await load(d);
    assert.is(config, null);
    assert.ok(lines(problems).includes(`${d}/wanpulse: error: cannot be read: is a directory, not a regular file`), formatProblems(problems));
    // netifd's file only hints: unreadable is a warning
    assert.ok(lines(problems).includes(`${d}/network: warning: cannot be read: is a FIFO, not a regular file`), formatProblems(problems));
    const m = dir({ mwan3: null });
    const r = await load(m);
    assert.ok(lines(r.problems).includes(`${m}/mwan3: error: cannot be read: is a directory, not a regular file`));
  });

  test(`${rt}: password_file that is a directory or /dev/zero: a located error, read bounded`, async () => {
    for (const [path, why] of [['/tmp', 'is a directory, not a regular file'], ['/dev/zero', 'is a character device, not a regular file']]) {
      const d = dir({ mwan3: MWAN3, wanpulse: `config mqtt 'mqtt'\n\toption enabled '1'\n\toption username 'u'\n\toption password_file '${path}'\n` });
      const { config, problems } = await load(d);
      assert.is(config, null);
      assert.equal(lines(errors(problems)), [`${d}/wanpulse:4: error: mqtt 'mqtt': password_file '${path}' cannot be read: ${why}`]);
    }
    const big = join(root, 'bigpw');
    writeFileSync(big, 'p'.repeat(70_000));
    const d = dir({ mwan3: MWAN3, wanpulse: `config mqtt 'mqtt'\n\toption enabled '1'\n\toption password_file '${big}'\n` });
    assert.match(formatProblems((await load(d)).problems), `password_file '${big}' cannot be read: is larger than 64 KiB`);
  });

  test(`${rt}: a UTF-8 BOM at the start is not part of the first command`, async () => {
    const d = dir({ mwan3: '\ufeff' + MWAN3, wanpulse: "\ufeffconfig globals 'globals'\n\toption down '4'\n" });
    const { config, problems } = await load(d);
    assert.equal(errors(problems), []);
    assert.is(config?.interfaces[0]?.health.down, 4);
  });

  test(`${rt}: invalid UTF-8 gives the same problems in both runtimes`, async () => {
    const d = dir({ mwan3: MWAN3 });
    writeFileSync(join(d, 'wanpulse'), Buffer.concat([Buffer.from("config globals 'globals'\n\toption backend '"), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from("'\n")]));
    const { problems } = await load(d);
    assert.equal(lines(errors(problems)), [`${d}/wanpulse:2: error: globals 'globals': backend '\ufffd(\ufffd' is not one of: mwan3, route, none`]);
  });
}

const memLoad = async (wanpulse: string, mwan3 = MWAN3, network?: string, spawner?: FakeSpawner) => {
  const d = dir({ wanpulse, mwan3, ...(network ? { network } : {}) });
  const r = await loadConfig(spawner ? { fs: nodeFs, spawner } : { fs: nodeFs }, d, { hostname: 'r1' });
  return { ...r, d };
};

test('a value with a newline or escape sequences cannot forge a second message line', async () => {
  const { problems } = await memLoad("config globals 'globals'\n\toption backend \"x\n/etc/config/wanpulse:9: error: forged\x1b[31m\"\n");
  const text = formatProblems(problems);
  assert.not.match(text, /\n\/etc\/config\/wanpulse:9/);
  assert.not.match(text, /\x1b/);
  assert.match(text, "backend 'x\\n/etc/config/wanpulse:9: error: forged\\x1b[31m' is not one of");
});

test('a 1 MB value is shown shortened, with how much was left out', async () => {
  const { problems } = await memLoad(`config globals 'globals'\n\toption backend '${'a'.repeat(1_000_000)}'\n`);
  const msg = errors(problems)[0]!.message;
  assert.ok(msg.length < 200, `${msg.length} characters`);
  assert.match(msg, `backend '${'a'.repeat(64)}…' (999936 more characters) is not one of`);
});

test('quote escapes controls, quotes, backslashes and invisible characters; never splits a surrogate pair', () => {
  assert.is(quote("it's\\ok\t\r\n\u0000\u009b\u202e\ufeff"), "'it\\'s\\\\ok\\t\\r\\n\\x00\\x9b\\u202e\\ufeff'");
  assert.is(quote('a'.repeat(63) + '\u{1f600}'), `'${'a'.repeat(63)}…' (2 more characters)`);
  assert.is(quote('wan'), "'wan'");
});

test('a 20-digit number is out of range, not "not a whole number"', async () => {
  const { problems } = await memLoad("config globals 'globals'\n\toption down '99999999999999999999'\n\toption up '1x'\n");
  assert.equal(errors(problems).map((p) => p.message), [
    "globals 'globals': down '99999999999999999999' is out of range: expected an integer from 1 to 100 rounds",
    "globals 'globals': up '1x' is not a whole number: expected an integer from 1 to 1000 rounds",
  ]);
});

const LONG = "config interface 'wan_backup_lte_1'\n\toption enabled '1'\n\tlist track_ip '192.0.2.1'\n";

test('an interface name of 16+ characters without a device is an error (fping could never bind to it)', async () => {
  const { config, problems, d } = await memLoad('', LONG);
  assert.is(config, null);
  assert.equal(lines(errors(problems)), [
    `${d}/mwan3:1: error: interface 'wan_backup_lte_1': no device is known for it and the name cannot be one (a device name has at most 15 characters of A–Z a–z 0–9 _ . @ -): set option device in /etc/config/wanpulse`,
  ]);
  const ok = await memLoad("config interface 'wan_backup_lte_1'\n\toption device 'wwan0'\n", LONG);
  assert.equal(errors(ok.problems), []);
  assert.is(ok.config?.interfaces[0]?.device, 'wwan0');
});

test('a long name whose device netifd creates (PPPoE): a warning in check-config, an error at start when ubus does not know it', async () => {
  const network = "config interface 'wan_backup_lte_1'\n\toption proto 'pppoe'\n";
  const check = await memLoad('', LONG, network);
  assert.equal(errors(check.problems), []);
  assert.ok(check.problems.some((p) => p.severity === 'warning' && p.message.includes('looked up from netifd at start')));
  const noUbus = new FakeSpawner();
  noUbus.missing.add('ubus');
  const atStart = await memLoad('', LONG, network, noUbus);
  assert.is(atStart.config, null);
  assert.match(errors(atStart.problems)[0]!.message, "interface 'wan_backup_lte_1': device unknown (ubus is not installed) and the name cannot be one");
  const ubus = new FakeSpawner(() => ({ code: 0, signal: null, stdout: JSON.stringify({ interface: [{ interface: 'wan_backup_lte_1', l3_device: 'pppoe-wan' }] }), stderr: '' }));
  const found = await memLoad('', LONG, network, ubus);
  assert.is(found.config?.interfaces[0]?.device, 'pppoe-wan');
});

test("mwan3 options mwan3's own tracker would misread are warned about, at their line", async () => {
  const mwan3 = "config interface 'wan'\n\toption enabled '1'\n\tlist track_ip '192.0.2.1'\n\toption interval 'fast'\n\toption timeout '08'\n"
    + "\toption check_quality 'maybe'\n\toption track_method 'icmp'\n\toption up '5'\n"
    + "config interface 'off'\n\toption enabled '0'\n\tlist track_ip '192.0.2.9'\n\toption interval 'fast'\n";
  const { config, problems, d } = await memLoad('', mwan3);
  assert.ok(config);
  assert.equal(problems.filter((p) => p.message.includes("mwan3's own tracker")).map((p) => `${p.file}:${p.line}: ${p.message}`), [
    `${d}/mwan3:4: mwan3 interface 'wan': interval 'fast' is not a whole number from 1 to 86400 (mwan3's own tracker reads it)`,
    `${d}/mwan3:5: mwan3 interface 'wan': timeout '08' is not a whole number from 1 to 3600 (mwan3's own tracker reads it)`,
    `${d}/mwan3:6: mwan3 interface 'wan': check_quality 'maybe' is not a boolean, so it is ignored (mwan3's own tracker reads it)`,
  ]);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
test.run();
