// The `ip -batch` runner over the txiki.js adapter, where tjs itself cannot run: a fake `tjs`
// (test/platform/fake-tjs.ts) whose spawn hands out a process that answers on stderr like ip's
// batch mode and reads stdin as a WritableStream, as txiki.js v26 gives it. The contract: ip is
// only started after the adapter checked it (never a missing program: txiki.js crashes on the
// spawn after a failed one), with stdin as a pipe; lines written are the commands and markers;
// stop closes stdin.
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

test('txiki: the batch child is started only once ip was checked, with stdin as a pipe; commands answered', async () => {
  const procs: ReturnType<typeof batchProcess>[] = [];
  const tjs = fakeTjs({ answer: (args) => (args.includes('-batch') ? (procs[procs.length] = batchProcess()) : fakeProcess('')) });
  const p = createTxikiPlatform(tjs, noSocket);
  const runner = createIpRunner({ spawner: p.spawner, clock: p.clock, log: memoryLog(), ipPath: ip });
  // nothing ran ip before: the first spawn is refused (EAGAIN) while the adapter checks ip
  await runner.start(['']);
  assert.equal(tjs.spawns.map((s) => s.args), [[ip, '-force', '-batch', '-']]);
  assert.is(tjs.spawns[0]!.opts?.stdin, 'pipe');
  assert.is(await runner.run(['-4', 'route', 'replace', 'default', 'dev', 'wg0', 'table', 'main', 'metric', '0']), null);
  assert.match(await runner.run(['-4', 'nexthop', 'replace', 'id', '5', 'via', '10.0.0.9', 'dev', 'bad']) ?? '', /: Error: Nexthop has invalid gateway\.$/);
  assert.equal(procs[0]!.lines, [
    'link show dev .',
    'route replace 0.0.0.0/0 dev wg0 table main metric 0', 'link show dev .',
    'nexthop replace id 5 via 10.0.0.9 dev bad', 'link show dev .',
  ]);
  assert.is(tjs.spawns.length, 1, 'no spawn per command');
  await runner.stop();
  assert.ok(procs[0]!.closed(), 'stdin closed on stop');
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
