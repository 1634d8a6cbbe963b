// The `ip -batch` runner over the txiki.js adapter, where tjs itself cannot run: a fake `tjs`
// (test/platform/fake-tjs.ts) that starts real processes. txiki.js v26.6 never settles a write to
// a child's stdin (checked with ip -batch and cat: the first chunk arrives, the promise stays
// pending, nothing after it is delivered), so the adapter feeds a child's stdin through a FIFO:
// here the real mkfifo, sh and `ip -force -batch -` run behind it, and no ip is spawned per change.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIpRunner } from '../../../src/actions/route/ip-batch.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import { createTxikiPlatform } from '../../../src/platform/txiki.ts';
import type { TjsProcess, TjsSpawnOptions } from '../../../src/platform/txiki-api.d.ts';
import { fakeTjs, realProcess } from '../../platform/fake-tjs.ts';

const dir = mkdtempSync(join(tmpdir(), 'wp-ipbatch-txiki-'));
const ip = join(dir, 'ip');
writeFileSync(ip, '#!/bin/sh\n', { mode: 0o755 });
const noSocket = class { constructor() { throw new Error('no sockets'); } } as never;
const sysPath = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin';
const realIp = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((p) => { try { return statSync(p).isFile(); } catch { return false; } })!;

/** A fresh temp root for the adapter's FIFO directories (TMPDIR), to see what is left in it. */
function tmpRoot(): string { return mkdtempSync(join(dir, 'tmp-')); }

test('txiki: the batch child reads a FIFO (mkfifo, then sh exec): changes need no process, errors are ip\'s, the FIFO goes', async () => {
  const tmp = tmpRoot();
  const fifoModes: { dir: number; fifo: number; fifoType: boolean }[] = [];
  const tjs = fakeTjs({
    env: { PATH: sysPath, TMPDIR: tmp },
    answer: (args: string[], o?: TjsSpawnOptions): TjsProcess => {
      if (args.includes('-c') && args[2] === 'exec "$@" < "$0"') {
        const st = statSync(args[3]!);
        fifoModes.push({ dir: statSync(join(args[3]!, '..')).mode & 0o777, fifo: st.mode & 0o777, fifoType: st.isFIFO() });
      }
      return realProcess(args, o);
    },
  });
  const p = createTxikiPlatform(tjs, noSocket);
  const log = memoryLog();
  const runner = createIpRunner({ spawner: p.spawner, clock: p.clock, log, ipPath: realIp });
  await p.spawner.run([realIp, '-V']); // the backend checks ip before the child starts
  await runner.start(['']);
  assert.ok(runner.pid(), `batch child running: ${log.lines.join(' | ')}`);
  assert.equal(fifoModes, [{ dir: 0o700, fifo: 0o600, fifoType: true }], 'a private FIFO');
  const started = tjs.spawns.length;
  for (let i = 0; i < 20; i++) assert.is(await runner.run(['link', 'show', 'dev', 'lo']), null);
  const err = await runner.run(['link', 'set', 'dev', 'wpnosuchdev0', 'up']);
  assert.match(err ?? '', /^ip link set dev wpnosuchdev0 up: .*(Cannot find device|does not exist)/);
  assert.is(await runner.run(['link', 'show', 'dev', 'lo']), null, 'the child goes on after a failed command');
  assert.is(tjs.spawns.length, started, 'no process per change');
  assert.equal(runner.counts, { batched: 22, spawned: 0, started: 1 });
  assert.equal(readdirSync(tmp), [], 'the FIFO and its directory are gone once ip answered');
  const pid = runner.pid()!;
  await runner.stop();
  assert.throws(() => process.kill(pid, 0), 'ip ended at the end of its input');
  assert.equal(readdirSync(tmp), []);
  assert.not.match(log.lines.join('\n'), /warn|spawning ip per/i);
});

test('txiki: a batch child killed while a command waits: the change is made by a spawned ip, the child comes back', async () => {
  const tmp = tmpRoot();
  const tjs = fakeTjs({ env: { PATH: sysPath, TMPDIR: tmp }, answer: (args, o) => realProcess(args, o) });
  const p = createTxikiPlatform(tjs, noSocket);
  const log = memoryLog();
  const runner = createIpRunner({ spawner: p.spawner, clock: p.clock, log, ipPath: realIp, deadlineMs: 300 });
  await p.spawner.run([realIp, '-V']);
  await runner.start(['']);
  const pid = runner.pid()!;
  process.kill(pid, 'SIGSTOP');
  const t0 = Date.now();
  assert.is(await runner.run(['link', 'show', 'dev', 'lo']), null);
  assert.ok(Date.now() - t0 < 3000);
  assert.match(log.lines.join('\n'), /gave no answer within 300 ms: killed/);
  assert.is(runner.counts.spawned, 1);
  for (let i = 0; i < 40 && (!runner.pid() || runner.pid() === pid); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(runner.pid() && runner.pid() !== pid, 'restarted after the backoff');
  assert.is(await runner.run(['link', 'show', 'dev', 'lo']), null);
  assert.is(runner.counts.batched, 1);
  await runner.stop();
  assert.equal(readdirSync(tmp), [], 'no FIFO left behind by the killed child');
});

test('txiki: no mkfifo: the reason is logged, and after three tries ip is spawned per change', async () => {
  const tmp = tmpRoot();
  const bin = join(dir, 'bin-no-mkfifo');
  rmSync(bin, { recursive: true, force: true });
  const { mkdirSync, symlinkSync } = await import('node:fs');
  mkdirSync(bin);
  symlinkSync('/bin/sh', join(bin, 'sh'));
  const tjs = fakeTjs({ env: { PATH: bin, TMPDIR: tmp }, answer: (args, o) => realProcess(args, o) });
  const p = createTxikiPlatform(tjs, noSocket);
  const log = memoryLog();
  const runner = createIpRunner({ spawner: p.spawner, clock: p.clock, log, ipPath: realIp });
  await p.spawner.run([realIp, '-V']);
  await runner.start(['']);
  for (let i = 0; i < 60 && !/mkfifo/.test(log.lines.join('\n')); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(log.lines.join('\n'), /cannot start .*ip -batch: cannot make its input pipe: mkfifo: not found/);
  for (let i = 0; i < 60 && !/spawning ip per route change/.test(log.lines.join('\n')); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(log.lines.join('\n'), /ip -batch is not usable here: spawning ip per route change/);
  assert.is(await runner.run(['link', 'show', 'dev', 'lo']), null);
  assert.equal(runner.counts.spawned, 1);
  assert.equal(readdirSync(tmp), [], 'the directories of the failed tries are removed');
  await runner.stop();
});

test('txiki: a missing ip is never handed to tjs.spawn; commands fail with not found', async () => {
  const tjs = fakeTjs({ answer: (args, o) => realProcess(args, o) });
  const p = createTxikiPlatform(tjs, noSocket);
  const runner = createIpRunner({ spawner: p.spawner, clock: p.clock, log: memoryLog(), ipPath: join(dir, 'no-ip') });
  await runner.start(['']);
  const err = await runner.run(['-4', 'route', 'replace', 'default', 'dev', 'wg0', 'table', 'main', 'metric', '0']);
  assert.match(err ?? '', /not found/);
  await new Promise((r) => setTimeout(r, 700)); // a restart attempt after the backoff
  assert.is(tjs.spawns.length, 0);
  await runner.stop();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
