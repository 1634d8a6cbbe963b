// The two platform adapters side by side on the same real files and programs: bounded reads
// (directory, FIFO, /dev/zero, too big, no permission), one UTF-8 rule (BOM, invalid bytes), and
// programs checked before they are started. txiki.js runs on a fake `tjs` (fake-tjs.ts) whose spawn
// records calls: the contract is that it is never asked to start a program that is not there
// (txiki.js v26 crashes on the next spawn after a failed one).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodePlatform } from '../../src/platform/node.ts';
import type { Platform } from '../../src/platform/ports.ts';
import { ReadError } from '../../src/platform/read-file.ts';
import { createTxikiPlatform, READS_PER_READER } from '../../src/platform/txiki.ts';
import { fakeProcess, fakeTjs, realProcess } from './fake-tjs.ts';

const dir = mkdtempSync(join(tmpdir(), 'wp-adapters-'));
const tjs = fakeTjs();
const noSocket = class { constructor() { throw new Error('no sockets'); } } as never;
const adapters: [string, Platform][] = [['node', nodePlatform()], ['txiki', createTxikiPlatform(tjs, noSocket)]];

writeFileSync(join(dir, 'bom'), '\ufeffconfig globals\n');
writeFileSync(join(dir, 'invalid'), Buffer.from([0x61, 0xc3, 0x28, 0x62, 0xe2, 0x82, 0x0a, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0x80, 0xff]));
writeFileSync(join(dir, 'big'), 'x'.repeat(5000));
writeFileSync(join(dir, 'secret'), 'pw\n', { mode: 0o000 });
mkdirSync(join(dir, 'adir'));
execFileSync('mkfifo', [join(dir, 'fifo')]);
writeFileSync(join(dir, 'text-tool'), 'echo hi\n', { mode: 0o755 });
writeFileSync(join(dir, 'script-tool'), '#!/bin/sh\necho "hi $1"\n', { mode: 0o755 });
writeFileSync(join(dir, 'not-exec'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
const isRoot = process.getuid?.() === 0;

async function reason(p: Platform, path: string, maxBytes?: number): Promise<string> {
  try {
    await p.fs.readText(path, maxBytes ? { maxBytes } : undefined);
    return 'read';
  } catch (e) {
    assert.instance(e, ReadError, `${path}: a ReadError, not ${String(e)}`);
    return (e as Error).message;
  }
}

for (const [name, p] of adapters) {
  test(`${name}: a leading BOM is dropped; invalid UTF-8 becomes U+FFFD per maximal subpart (WHATWG)`, async () => {
    assert.is(await p.fs.readText(join(dir, 'bom')), 'config globals\n');
    assert.is(await p.fs.readText(join(dir, 'invalid')), 'a\ufffd(b\ufffd\n\u{1f600}\ufffd\ufffd\ufffd\ufffd');
  });

  test(`${name}: missing → null; directory, FIFO, /dev/zero, too big → a reason, never a hang or a huge read`, async () => {
    assert.is(await p.fs.readText(join(dir, 'nothing')), null);
    assert.is(await p.fs.readText(join(dir, 'nothing', 'below')), null);
    assert.is(await reason(p, join(dir, 'adir')), 'is a directory, not a regular file');
    assert.is(await reason(p, join(dir, 'fifo')), 'is a FIFO, not a regular file');
    assert.is(await reason(p, '/dev/zero'), 'is a character device, not a regular file');
    assert.is(await reason(p, join(dir, 'big'), 4096), 'is larger than 4 KiB');
    assert.is(await reason(p, join(dir, 'big'), 5000), 'read');
    if (!isRoot) assert.is(await reason(p, join(dir, 'secret')), 'permission denied');
  });

  test(`${name}: /proc files (size 0 in stat) are read whole`, async () => {
    const text = await p.fs.readText('/proc/self/status');
    assert.ok(text && text.includes('Pid:'));
  });

  test(`${name}: a polled file is read anew each time, null while missing, refused like readText, null once closed`, async () => {
    const f = join(dir, `polled-${name}`);
    const polled = p.fs.openPolled(f);
    assert.is(await polled.read(), null);
    writeFileSync(f, '17\n');
    assert.is(await polled.read(), '17\n');
    writeFileSync(f, '123456\n'); // rewritten in place, as the kernel does for every read
    assert.is(await polled.read(), '123456\n');
    writeFileSync(f, '9\n');
    assert.is(await polled.read(), '9\n', 'a shorter text: nothing of the longer one is left');
    await polled.close();
    assert.is(await polled.read(), null);
    for (const [path, why] of [[join(dir, 'adir'), 'is a directory, not a regular file'], [join(dir, 'fifo'), 'is a FIFO, not a regular file'],
      ['/dev/zero', 'is a character device, not a regular file'], [join(dir, 'big'), 'is larger than 4 KiB']]) {
      const err = await p.fs.openPolled(path!).read().then(() => null, (e: Error) => e);
      assert.instance(err, ReadError, path);
      assert.is(err?.message, why, path);
    }
    assert.is(await p.fs.openPolled(join(dir, 'big'), { maxBytes: 5000 }).read(), 'x'.repeat(5000));
  });

  test(`${name}: a sysfs counter polled through one handle counts up like readText sees it`, async () => {
    const path = '/sys/class/net/lo/statistics/tx_packets';
    const polled = p.fs.openPolled(path);
    const first = Number(await polled.read());
    execFileSync('ping', ['-c', '2', '-i', '0.01', '-W', '1', '127.0.0.1'], { stdio: 'ignore' });
    const second = Number(await polled.read());
    const direct = Number(await p.fs.readText(path));
    await polled.close();
    assert.ok(Number.isFinite(first) && second >= first + 2, `${first} → ${second}`);
    assert.ok(direct >= second, `readText ${direct} ≥ polled ${second}`);
  });

  test(`${name}: a missing program is refused with code ENOENT and its name, before any start`, async () => {
    const before = tjs.spawns.length;
    const err = await p.spawner.run(['wanpulse-no-such-tool', 'call']).then(() => null, (e: Error & { code: string }) => e);
    assert.is(err?.code, 'ENOENT');
    assert.is(err?.message, 'wanpulse-no-such-tool: not found');
    const abs = await p.spawner.run([join(dir, 'nothing')]).then(() => null, (e: Error & { code: string }) => e);
    assert.is(abs?.code, 'ENOENT');
    assert.throws(() => p.spawner.spawn([join(dir, 'nothing'), '-l']), (e: Error & { code: string }) => e.code === 'ENOENT' || e.code === 'EAGAIN');
    assert.is(tjs.spawns.length, before, 'tjs.spawn never called');
  });

  test(`${name}: a directory, a non-executable file, a text file without #! are refused alike`, async () => {
    const before = tjs.spawns.length;
    for (const [file, code, why] of [
      ['adir', 'EACCES', 'not a regular file'],
      ['not-exec', 'EACCES', 'not executable'],
      ['text-tool', 'ENOEXEC', 'not a program (neither an ELF binary nor a script starting with #!)'],
    ] as const) {
      const err = await p.spawner.run([join(dir, file)]).then(() => null, (e: Error & { code: string }) => e);
      assert.is(err?.code, code, file);
      assert.is(err?.message, `${join(dir, file)}: ${why}`);
    }
    assert.is(tjs.spawns.length, before, 'tjs.spawn never called');
  });
}

test('node: a #! script and a PATH name run', async () => {
  const p = adapters[0]![1];
  const r = await p.spawner.run([join(dir, 'script-tool'), 'there']);
  assert.is(r.stdout, 'hi there\n');
  const t = await p.spawner.run(['true']);
  assert.is(t.code, 0);
});

test('txiki: a PATH name is resolved to its absolute path before tjs.spawn; the lookup is cached', async () => {
  const calls: string[][] = [];
  const t = fakeTjs({ env: { PATH: `/nonexistent:${dir}` }, answer: (args) => { calls.push(args); return fakeProcess('hi\n'); } });
  const p = createTxikiPlatform(t, noSocket);
  const r = await p.spawner.run(['script-tool', 'x']);
  assert.is(r.stdout, 'hi\n');
  assert.equal(calls, [[join(dir, 'script-tool'), 'x']]);
  await p.spawner.run(['script-tool']);
  assert.equal(calls[1], [join(dir, 'script-tool')]);
});

test('txiki: input reaches the program through a private temp file that sh redirects (no stdin pipe), and the file is gone after', async () => {
  const seen: { args: string[]; mode: number; content: string }[] = [];
  const t = fakeTjs({
    env: { PATH: '/usr/bin:/bin', TMPDIR: dir },
    answer: (args) => {
      // what the runtime would start, started for real: sh with the file as the program's stdin
      const file = args[3]!;
      seen.push({ args, mode: statSync(file).mode & 0o777, content: readFileSync(file, 'utf8') });
      try {
        return fakeProcess(execFileSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
      } catch (e) {
        const f = e as { stdout?: string; status?: number };
        return fakeProcess(f.stdout ?? '', f.status ?? 1);
      }
    },
  });
  const p = createTxikiPlatform(t, noSocket);
  const secret = 'kMJhMfzJ1lY5F6G7mxqk8kUdKo5y5Q1f2M2c+vH3mX0=\n';
  const r = await p.spawner.run(['wc', '-c'], { input: secret, timeoutMs: 5000 });
  assert.is(r.stdout.trim(), String(secret.length), 'the program read all of its input and saw its end');
  assert.is(seen.length, 1);
  assert.match(seen[0]!.args[0]!, /\/sh$/);
  assert.equal(seen[0]!.args.slice(1, 3), ['-c', 'exec "$@" < "$0"']);
  assert.match(seen[0]!.args[3]!, new RegExp(`^${dir}/wanpulse-in-`));
  assert.match(seen[0]!.args[4]!, /\/wc$/);
  assert.is(seen[0]!.mode, 0o600, 'readable by root only');
  assert.is(seen[0]!.content, secret);
  assert.is(t.spawns[0]!.opts?.stdin, 'ignore', 'no stdin pipe (v26.6.0 never ends one)');
  assert.not.ok(existsSync(seen[0]!.args[3]!), 'the temp file is removed');
  // a program that fails: the file goes all the same
  const bad = await p.spawner.run(['sh', '-c', 'cat >/dev/null; exit 3'], { input: 'x' });
  assert.is(bad.code, 3);
  assert.not.ok(existsSync(seen[1]!.args[3]!));
});

test('spawn with a stdin pipe: every write arrives, endInput is the end of input (txiki: through a private FIFO)', async () => {
  const tmp = mkdtempSync(join(dir, 'fed-'));
  const t = fakeTjs({ env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: tmp }, answer: (args, o) => realProcess(args, o) });
  const both: [string, Platform][] = [['node', adapters[0]![1]], ['txiki', createTxikiPlatform(t, noSocket)]];
  for (const [name, p] of both) {
    await p.spawner.run(['cat', '--version']); // checked, as the daemon does before a long-lived child
    const child = p.spawner.spawn(['cat'], { stdin: 'pipe' });
    const lines: string[] = [];
    child.onStdoutLine((l) => lines.push(l));
    // write after write, not waiting in between: v26.6.0's own pipe delivers only the first
    await Promise.all([1, 2, 3, 4, 5].map((i) => child.write(`line ${i}\n`)));
    await child.write('x'.repeat(20_000) + '\n');
    child.endInput();
    const st = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
    assert.equal(st, { code: 0, signal: null }, `${name}: cat saw the end of its input`);
    assert.equal(lines.slice(0, 5), ['line 1', 'line 2', 'line 3', 'line 4', 'line 5'], name);
    assert.is(lines[5]!.length, 20_000, name);
    assert.ok(child.pid > 0, name);
    await child.write('late\n').then(() => assert.unreachable(`${name}: a write after the end`), (e: Error) => assert.match(e.message, /closed|not open|EPIPE|write after end/i));
  }
  assert.equal(readdirSync(tmp), [], 'txiki: no FIFO left');
  const sh = t.spawns.find((s) => s.args[2] === 'exec "$@" < "$0"')!;
  assert.match(sh.args[3]!, new RegExp(`^${tmp}/wanpulse-[^/]+/stdin$`));
  assert.is(sh.opts?.stdin, 'ignore', 'never a stdin pipe of txiki.js itself');

  // a program slow to start (a loaded router): the end of input waits until it has the FIFO open;
  // closing before would drop what was written and leave its open waiting for a writer
  const slow = fakeTjs({ env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: tmp }, answer: (args, o) =>
    realProcess(args[0]!.endsWith('sh') ? [args[0]!, '-c', 'sleep 0.3; exec "$@"', 'slow', ...args] : args, o) });
  const ps = createTxikiPlatform(slow, noSocket);
  await ps.spawner.run(['cat', '--version']);
  const late = ps.spawner.spawn(['cat'], { stdin: 'pipe' });
  const got: string[] = [];
  late.onStdoutLine((l) => got.push(l));
  await late.write('before the program runs\n');
  late.endInput();
  const lst = await Promise.race([late.exited, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
  assert.equal(lst, { code: 0, signal: null }, 'cat started late, read everything and saw the end');
  assert.equal(got, ['before the program runs']);

  // killed before it could start (its FIFO still being made): it never starts
  const p = both[1]![1];
  const before = t.spawns.length;
  const early = p.spawner.spawn(['cat'], { stdin: 'pipe' });
  early.kill('SIGTERM');
  assert.equal(await early.exited, { code: null, signal: 'SIGTERM' });
  assert.not.ok(t.spawns.slice(before).some((s) => s.args[2] === 'exec "$@" < "$0"'), 'not started');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(readdirSync(tmp), []);

  // no writable temp root: exited says why, nothing started
  const t2 = fakeTjs({ env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TMPDIR: join(dir, 'no-such-dir') }, answer: (args, o) => realProcess(args, o) });
  const p2 = createTxikiPlatform(t2, noSocket);
  await p2.spawner.run(['cat', '--version']);
  const c2 = p2.spawner.spawn(['cat'], { stdin: 'pipe' });
  const st2 = await c2.exited;
  assert.is(st2.code, null);
  assert.match(st2.error ?? '', /cannot make a directory for its input in .*no-such-dir/);
  await c2.write('x\n').then(() => assert.unreachable('write to a child that never started'), () => undefined);
});

test('run() ends soon after the program exits, though something it left behind holds its pipes', async () => {
  // node: a real shell whose background sleep keeps stdout open for 23.7 s
  const t0 = Date.now();
  const r = await adapters[0]![1].spawner.run(['sh', '-c', 'sleep 23.7 & echo hi'], { timeoutMs: 30_000 });
  assert.is(r.stdout, 'hi\n');
  assert.is(r.code, 0);
  assert.ok(Date.now() - t0 < 5000, `node: ${Date.now() - t0} ms`);
  execFileSync('pkill', ['-f', '^sleep 23.7$']);
  // txiki: the process has exited, its stdout never ends
  const open = new ReadableStream<Uint8Array>({ start(c) { c.enqueue(new TextEncoder().encode('partial\n')); } });
  const t = fakeTjs({ answer: () => ({ ...fakeProcess(''), stdout: open }) });
  const t1 = Date.now();
  const x = await createTxikiPlatform(t, noSocket).spawner.run([join(dir, 'script-tool')]);
  assert.is(x.stdout, 'partial\n');
  assert.ok(Date.now() - t1 < 5000, `txiki: ${Date.now() - t1} ms`);
});

test('txiki: spawn (synchronous) starts only a program checked in the last seconds, and re-checks after exits', async () => {
  const t = fakeTjs({ answer: () => fakeProcess('line 1\nline 2\n', 3) });
  const p = createTxikiPlatform(t, noSocket);
  const prog = join(dir, 'script-tool');
  // never checked: refused (not started), and a check is under way
  assert.throws(() => p.spawner.spawn([prog]), (e: Error & { code: string }) => e.code === 'EAGAIN');
  assert.is(t.spawns.length, 0);
  await p.spawner.run([prog, '-v']); // the daemon's fping -v at start
  const child = p.spawner.spawn([prog, '-l']);
  const lines: string[] = [];
  child.onStdoutLine((l) => lines.push(l));
  assert.equal(await child.exited, { code: 3, signal: null });
  assert.equal(lines, ['line 1', 'line 2']);
  assert.equal(t.spawns.map((s) => s.args), [[prog, '-v'], [prog, '-l']]);
});

test('txiki: a long-lived child is read with a fresh reader every READS_PER_READER reads, no line lost', async () => {
  // txiki.js keeps an array slot per read() in the reader's queue (docs/txiki.md, "Memory")
  const chunks = READS_PER_READER * 3 + 5;
  let i = 0;
  const enc = new TextEncoder();
  const stdout = new ReadableStream<Uint8Array>({ pull(c) { if (i < chunks) c.enqueue(enc.encode(`line ${i++}\n`)); else c.close(); } }, { highWaterMark: 0 });
  const readsPerReader: number[] = [];
  const getReader = stdout.getReader.bind(stdout);
  stdout.getReader = (() => {
    const r = getReader();
    const k = readsPerReader.push(0) - 1;
    const read = r.read.bind(r);
    r.read = () => { readsPerReader[k]!++; return read(); };
    return r;
  }) as typeof stdout.getReader;
  const t = fakeTjs({ answer: (args) => (args.includes('-l') ? { ...fakeProcess(''), stdout } : fakeProcess('')) });
  const p = createTxikiPlatform(t, noSocket);
  const prog = join(dir, 'script-tool');
  await p.spawner.run([prog, '-v']);
  const child = p.spawner.spawn([prog, '-l']);
  const lines: string[] = [];
  child.onStdoutLine((l) => lines.push(l));
  await child.exited;
  assert.equal(lines, Array.from({ length: chunks }, (_, n) => `line ${n}`));
  // every chunk and the final done: 3 full readers, then one for the last 5 chunks and the end
  assert.equal(readsPerReader, [READS_PER_READER, READS_PER_READER, READS_PER_READER, 6]);
});

test('txiki: collectGarbage runs the engine\'s cycle collector; node leaves it to V8', () => {
  const t = fakeTjs();
  const p = createTxikiPlatform(t, noSocket);
  assert.type(p.collectGarbage, 'function');
  p.collectGarbage!();
  assert.is(t.gcRuns.n, 1);
  assert.is(nodePlatform().collectGarbage, undefined);
});

test('txiki: a program that vanished after its last check is not started again', async () => {
  const t = fakeTjs({ answer: () => fakeProcess('') });
  const p = createTxikiPlatform(t, noSocket);
  const prog = join(dir, 'vanishing');
  writeFileSync(prog, '#!/bin/sh\n', { mode: 0o755 });
  await p.spawner.run([prog]);
  const child = p.spawner.spawn([prog]);
  rmSync(prog);
  await child.exited;
  await new Promise((r) => setTimeout(r, 50)); // the re-check after the exit
  assert.throws(() => p.spawner.spawn([prog]));
  assert.is(t.spawns.length, 2);
});

test('txiki: prepare() checks a program beside other work; the run right after it starts without a second check', async () => {
  const t = fakeTjs({ answer: () => fakeProcess('') });
  let stats = 0;
  const stat = t.stat.bind(t);
  t.stat = (path) => { stats++; return stat(path); };
  const p = createTxikiPlatform(t, noSocket);
  const prog = join(dir, 'script-tool');
  await p.spawner.prepare!(prog);
  const checked = stats;
  assert.ok(checked > 0);
  let started = 0;
  await p.spawner.run([prog, 'a'], { onStarted: () => { started++; } });
  assert.is(stats, checked, 'no check between prepare and run');
  assert.is(started, 1);
  await p.spawner.run([prog, 'b']);
  assert.ok(stats > checked, 'a prepare serves one run only');
  // a missing program is still refused by run, and never handed to tjs.spawn
  const before = t.spawns.length;
  await p.spawner.prepare!(join(dir, 'nothing'));
  const err = await p.spawner.run([join(dir, 'nothing')]).then(() => null, (e: Error & { code: string }) => e);
  assert.is(err?.code, 'ENOENT');
  assert.is(t.spawns.length, before);
});

test.after(() => { chmodSync(join(dir, 'secret'), 0o600); rmSync(dir, { recursive: true, force: true }); });
test.run();
