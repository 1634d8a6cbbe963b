// The CLI as a user meets it, without network namespaces: exit codes and the messages for
// missing pieces. (The running daemon is covered by test/daemon.net.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeSpawner } from '../src/platform/node.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const main = join(root, 'src/main.ts');
const run = (...args: string[]) => nodeSpawner.run([process.execPath, '--import', 'tsx', main, ...args], { timeoutMs: 30_000 });

const MWAN3 = `
config interface 'wan'
	option enabled '1'
	list track_ip '192.0.2.1'
`;

function configDir(wanpulse: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wpcli-'));
  writeFileSync(join(dir, 'mwan3'), MWAN3);
  writeFileSync(join(dir, 'wanpulse'), wanpulse);
  return dir;
}

test('--version prints the version and the runtime', async () => {
  const r = await run('--version');
  assert.is(r.code, 0);
  assert.match(r.stdout, /^wanpulse \S+ \(node\)\n$/);
});

test('a missing fping is named with how to install it; exit 2, nothing started', async () => {
  const dir = configDir("config globals 'globals'\n\toption fping '/nonexistent/fping'\n\toption backend 'none'\n");
  try {
    const r = await run('run', '--config-dir', dir, '--run-dir', join(dir, 'run'));
    assert.is(r.code, 2);
    assert.match(r.stderr, /fping not found at \/nonexistent\/fping: install it \(OpenWrt: opkg install fping/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('enabled 0 exits at once with status 0 (procd does not respawn it)', async () => {
  const dir = configDir("config globals 'globals'\n\toption enabled '0'\n");
  try {
    const r = await run('run', '--config-dir', dir, '--run-dir', join(dir, 'run'));
    assert.is(r.code, 0);
    assert.match(r.stderr, /disabled in \/etc\/config\/wanpulse/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('status without a running daemon says what to check; exit 3', async () => {
  const r = await run('status', '--run-dir', '/nonexistent/wanpulse');
  assert.is(r.code, 3);
  assert.match(r.stderr, /no status at \/nonexistent\/wanpulse\/status\.json: is the daemon running\?/);
});

test('handback with a broken config and no ownership record changes nothing and says so', async () => {
  const dir = configDir("config globals 'globals'\n\toption interval_ms 'fast'\n");
  try {
    const r = await run('handback', '--config-dir', dir, '--run-dir', join(dir, 'run'));
    assert.is(r.code, 1);
    assert.match(r.stderr, /no mwan3 ownership record: nothing handed back/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('handback with a broken config still hands back what the ownership record holds', async () => {
  const dir = configDir("config globals 'globals'\n\toption interval_ms 'fast'\n");
  try {
    const runDir = join(dir, 'run');
    mkdirSync(runDir);
    writeFileSync(join(runDir, 'owned.json'), JSON.stringify({ version: 1, backend: 'mwan3', pid: 1, owned: { wg0: { since: 1, device: 'wg0', mark: 256 } } }));
    const r = await run('handback', '--config-dir', dir, '--run-dir', runDir);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /wanpulse: \S+\/wanpulse:2: error: .*interval_ms/);
    assert.match(r.stderr, /handing back from the ownership record alone/);
    assert.match(r.stderr, /wg0 was held offline by an earlier wanpulse \(pid 1\): handing it back/);
    assert.equal(JSON.parse(readFileSync(join(runDir, 'owned.json'), 'utf8')).owned, {});
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('unknown arguments print the usage; exit 64', async () => {
  const r = await run('run', '--frobnicate');
  assert.is(r.code, 64);
  assert.match(r.stderr, /unknown argument: --frobnicate[\s\S]*usage: wanpulse <command>/);
});

test.run();
