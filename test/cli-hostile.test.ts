// The CLI on broken input and faults (issue #15): every path ends in a clear message and an exit
// code, never `fatal:` and a stack. Runs src/main.ts under Node; the same bundle under txiki.js
// was checked by hand (see the report of #15) and its adapter by test/platform/adapters.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeSpawner } from '../src/platform/node.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const main = join(root, 'src/main.ts');
const run = (...args: string[]) => nodeSpawner.run([process.execPath, '--import', 'tsx', main, ...args], { timeoutMs: 30_000 });
const base = mkdtempSync(join(tmpdir(), 'wp-clih-'));
let n = 0;
const MWAN3 = "config interface 'lo'\n\toption enabled '1'\n\tlist track_ip '127.0.0.1'\n";

function dir(files: Record<string, string | null>): string {
  const d = join(base, String(n++));
  mkdirSync(d);
  for (const [name, text] of Object.entries(files)) {
    if (text === null) mkdirSync(join(d, name)); else writeFileSync(join(d, name), text, { mode: 0o755 });
  }
  return d;
}

test('check-config, run and handback on a config file that is a directory: located error, exit 1, no stack', async () => {
  const d = dir({ wanpulse: null, mwan3: MWAN3 });
  for (const cmd of ['check-config', 'run']) {
    const r = await run(cmd, '--config-dir', d, '--run-dir', join(d, 'run'));
    assert.is(r.code, 1, `${cmd}: ${r.stderr}`);
    assert.match(r.stdout + r.stderr, `${d}/wanpulse: error: cannot be read: is a directory, not a regular file`);
    assert.not.match(r.stdout + r.stderr, /fatal|at async/);
  }
});

test('status on a status file of another shape: exit 3 with a message, never a TypeError', async () => {
  for (const [text, why] of [
    ['{}', 'status.version is not a string'], ['null', 'status is not an object'],
    ['{"version":"1","pid":1,"backend":"x","startedAt":0,"updatedAt":0,"uplinks":[{}]}', 'status.uplinks[0].iface is not a string'],
  ]) {
    const d = dir({ 'status.json': text! });
    for (const json of [[], ['--json']]) {
      const r = await run('status', '--run-dir', d, ...json);
      assert.is(r.code, 3);
      assert.is(r.stderr, `wanpulse: the status file ${d}/status.json has an unexpected shape (${why}): is another wanpulse version running? (restart it: service wanpulse restart)\n`);
    }
  }
  const d = dir({ 'status.json': null });
  const r = await run('status', '--run-dir', d);
  assert.is(r.code, 3);
  assert.match(r.stderr, 'cannot be read: is a directory');
});

test('a program that is not fping, or a text file without #!, is refused at start: exit 2', async () => {
  const fake = dir({ 'text-fping': 'echo fping: Version 5.1\n', 'other': '#!/bin/sh\necho hello\n' });
  for (const [fping, msg] of [
    ['/bin/true', "/bin/true is not fping: '/bin/true -v' printed '', not \"fping: Version N.N\""],
    [join(fake, 'other'), `${join(fake, 'other')} is not fping: '${join(fake, 'other')} -v' printed 'hello'`],
    [join(fake, 'text-fping'), `${join(fake, 'text-fping')} cannot be started as fping: ${join(fake, 'text-fping')}: not a program (neither an ELF binary nor a script starting with #!)`],
  ]) {
    const d = dir({ mwan3: MWAN3, wanpulse: `config globals 'globals'\n\toption backend 'none'\n\toption fping '${fping}'\n` });
    const r = await run('run', '--config-dir', d, '--run-dir', join(d, 'run'));
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, `wanpulse: error: ${msg}`);
    assert.not.match(r.stderr, /restarting/);
  }
});

for (const backend of ['none', 'mwan3']) test(`a run directory that cannot be created (backend ${backend}): one warning, the daemon runs on and stops cleanly`, async () => {
  const d = dir({ mwan3: MWAN3, wanpulse: `config globals 'globals'\n\toption backend '${backend}'\nconfig interface 'lo'\n\toption device 'lo'\n` });
  const child = spawn(process.execPath, ['--import', 'tsx', main, 'run', '--config-dir', d, '--run-dir', '/etc/passwd/run'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (b: Buffer) => { err += b; });
  const deadline = Date.now() + 20_000;
  // the first decision comes after the signal handlers are installed
  while (!/lo unknown -> /.test(err) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.is(child.exitCode, null, err);
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
  assert.is(code, 0, err);
  assert.match(err, 'warn: cannot create the run directory /etc/passwd/run (ENOTDIR): running without the status file');
  assert.is(err.match(/cannot create the run directory/g)?.length, 1);
  // holding nothing, no backend has anything to hand back: no `hand-back failed: ENOTDIR`
  assert.not.match(err, /error:/);
  assert.not.match(err, /fatal/);
});

test('check-config output over 64 KiB reaches a pipe whole (Node flushes before exit)', async () => {
  const ifaces = Array.from({ length: 1500 }, (_, i) => `config interface 'wan${i}'\n\toption enabled '1'\n\tlist track_ip '192.0.2.1'\n\toption interval 'x'\n`).join('');
  const d = dir({ mwan3: ifaces });
  const r = await run('check-config', '--config-dir', d);
  // more interfaces than mmx_mask has room for: an error per interface, all of them printed
  assert.is(r.code, 1);
  assert.ok(r.stdout.length > 65_536, `${r.stdout.length} bytes`);
  assert.match(r.stdout.trimEnd().split('\n').at(-1)!, "mwan3:6000: warning: mwan3 interface 'wan1499': interval 'x'");
  assert.is(r.stderr, 'wanpulse: 1440 errors, 1501 warnings\n');
});

test.after(() => rmSync(base, { recursive: true, force: true }));
test.run();
