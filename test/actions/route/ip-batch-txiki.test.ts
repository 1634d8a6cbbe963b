// The `ip -batch` runner over the txiki.js adapter, where tjs itself cannot run: a fake `tjs`
// (test/platform/fake-tjs.ts). txiki.js v26.6 never settles a write to a child's stdin (checked
// with ip -batch and cat: the first chunk arrives, the promise stays pending, nothing after it is
// delivered), so the adapter refuses a stdin pipe and the runner spawns ip per change there, each
// checked first (never a missing program: txiki.js crashes on the spawn after a failed one).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIpRunner } from '../../../src/actions/route/ip-batch.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import { createTxikiPlatform } from '../../../src/platform/txiki.ts';
import type { TjsProcess } from '../../../src/platform/txiki-api.d.ts';
import { fakeProcess, fakeTjs } from '../../platform/fake-tjs.ts';

const dir = mkdtempSync(join(tmpdir(), 'wp-ipbatch-txiki-'));
const ip = join(dir, 'ip');
writeFileSync(ip, '#!/bin/sh\n', { mode: 0o755 });
const noSocket = class { constructor() { throw new Error('no sockets'); } } as never;
const enc = new TextEncoder();

/** A process that behaves like `ip -force -batch -` on its stdin and stderr. */
function batchProcess(): TjsProcess & { lines: string[]; closed: () => boolean } {
  let err!: ReadableStreamDefaultController<Uint8Array>;
  const stderr = new ReadableStream<Uint8Array>({ start(c) { err = c; } });
  let done!: (v: { exit_status: number; term_signal: string | null }) => void;
  const exited = new Promise<{ exit_status: number; term_signal: string | null }>((r) => { done = r; });
  const lines: string[] = [];
  let closed = false;
  let buf = '';
  const dec = new TextDecoder();
  const end = (status: { exit_status: number; term_signal: string | null }) => {
    if (closed) return;
    closed = true;
    err.close();
    done(status);
  };
  const stdin = new WritableStream<Uint8Array>({
    write(chunk) {
      buf += dec.decode(chunk);
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        const why = line === 'link show dev .' ? 'Device "." does not exist.' : line.includes('bad') ? 'Error: Nexthop has invalid gateway.' : null;
        if (why) err.enqueue(enc.encode(`${why}\nCommand failed -:${lines.length}\n`));
      }
    },
    close() { end({ exit_status: 0, term_signal: null }); },
  });
  return {
    pid: 4343, stdout: null, stderr, stdin, lines, closed: () => closed,
    kill() { end({ exit_status: 0, term_signal: 'SIGKILL' }); },
    wait: () => exited,
  };
}

test('txiki: no batch child (a write to a child\'s stdin never settles in txiki.js v26): ip is spawned per change, checked first', async () => {
  const procs: ReturnType<typeof batchProcess>[] = [];
  const tjs = fakeTjs({ answer: (args) => (args.includes('-batch') ? (procs[procs.length] = batchProcess()) : fakeProcess('')) });
  const p = createTxikiPlatform(tjs, noSocket);
  const log = memoryLog();
  const runner = createIpRunner({ spawner: p.spawner, clock: p.clock, log, ipPath: ip });
  assert.throws(() => p.spawner.spawn([ip, '-force', '-batch', '-'], { stdin: 'pipe' }), (e: Error & { code: string }) => e.code === 'ENOTSUP');
  await runner.start(['']);
  assert.match(log.lines.join('\n'), /does not work under txiki\.js: spawning ip per route change/);
  assert.is(await runner.run(['-4', 'route', 'replace', 'default', 'dev', 'wg0', 'table', 'main', 'metric', '0']), null);
  assert.equal(tjs.spawns.map((s) => s.args), [[ip, '-4', 'route', 'replace', 'default', 'dev', 'wg0', 'table', 'main', 'metric', '0']]);
  assert.is(tjs.spawns[0]!.opts?.stdin, 'ignore');
  assert.equal(procs, [], 'never started with a stdin pipe');
  assert.equal(runner.counts, { batched: 0, spawned: 1, started: 0 });
  await runner.stop();
});

test('txiki: a missing ip is never handed to tjs.spawn; commands fail with not found', async () => {
  const tjs = fakeTjs({ answer: () => batchProcess() });
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
