// The check that every program a test runs is installed by the project's own files: how a spawn is
// read, what counts as declared, and the guard itself in a real child process.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { declaredCommands, declaredPackages, problemWith, programsOf, which } from './programs.mjs';

const guard = pathToFileURL(fileURLToPath(new URL('./spawn-guard.mjs', import.meta.url))).href;

test('programsOf follows ip netns exec, env and timeout, and leaves out local scripts and node', () => {
  assert.equal(programsOf('ip', ['netns', 'exec', 'wpa1', 'fping', '-v']), ['ip', 'fping']);
  assert.equal(programsOf('ip', ['-n', 'wpa1', 'link']), ['ip']);
  assert.equal(programsOf('/usr/bin/env', ['-i', 'ACTION=x', 'hotplug-call', 'iface']), ['env', 'hotplug-call']);
  assert.equal(programsOf('timeout', ['5', 'wg', 'show']), ['timeout', 'wg']);
  assert.equal(programsOf(join(tmpdir(), 'x', 'fake-conntrack'), []), []);
  assert.equal(programsOf(process.execPath, ['x.mjs']), []);
  assert.equal(programsOf('ip', ['netns', 'exec', 'ns', join(tmpdir(), 'wrapper.sh')]), ['ip']);
});

test('every package line names at least one command; the real list declares what the tests run', () => {
  const rows = declaredPackages();
  assert.ok(rows.length > 5);
  for (const r of rows) assert.ok(r.cmds.length > 0, `${r.pkg} names no command`);
  const declared = declaredCommands();
  for (const cmd of ['busybox', 'fping', 'ip', 'wireguard-go', 'mosquitto', 'conntrack', 'nft']) assert.ok(declared.has(cmd), cmd);
});

test('problemWith: undeclared, declared but absent, essential and router-only programs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wp-deps-'));
  try {
    const file = join(dir, 'deps.txt');
    writeFileSync(file, '# comment\nfping fping\nnot-a-package wanpulse-no-such-program\n');
    const declared = declaredCommands(file);
    assert.is(problemWith('busybox', declared), "runs 'busybox', which build/deps-debian.txt does not install");
    assert.match(problemWith('wanpulse-no-such-program', declared) ?? '', /declared in build\/deps-debian.txt but not installed/);
    assert.is(problemWith('sh', declared), null);
    assert.is(problemWith('ubus', declared), null);
    assert.is(which('sh') !== null, true);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the guard records what a child Node process spawns, including its own children', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wp-guard-'));
  try {
    const log = join(dir, 'spawn.log');
    const script = [
      "import { spawnSync, execFileSync } from 'node:child_process';",
      "spawnSync('true', []);",
      // fails (there is no such namespace): only the record matters
      "try { execFileSync('ip', ['netns', 'exec', 'none', 'wanpulse-probe-x'], { stdio: 'ignore' }); } catch {}",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, WANPULSE_SPAWN_LOG: log, NODE_OPTIONS: `--import=${guard}` }, encoding: 'utf8', timeout: 20_000,
    });
    assert.ok(r.status !== null, r.stderr);
    assert.equal(readFileSync(log, 'utf8').split('\n').filter(Boolean), ['true', 'ip', 'wanpulse-probe-x']);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
