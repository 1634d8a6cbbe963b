// Under Node, writes to a pipe are asynchronous: exiting must not cut what is still queued
// (procd and logd read wanpulse through pipes; `check-config | wc -c` stopped at 65536).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./exit-child.ts', import.meta.url));

test('node: exit() waits until stdout and stderr reached the pipe', async () => {
  const proc = spawn(process.execPath, ['--import', 'tsx', child], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = 0;
  let err = 0;
  let tail = '';
  // read late and slowly, like a busy logd: the pipe fills up
  proc.stdout.pause();
  setTimeout(() => proc.stdout.resume(), 300);
  proc.stdout.on('data', (b: Buffer) => { out += b.length; tail = (tail + b.toString()).slice(-20); });
  proc.stderr.on('data', (b: Buffer) => { err += b.length; });
  const code = await new Promise<number | null>((r) => proc.on('close', (c) => r(c)));
  assert.is(code, 5);
  assert.is(out, 3000 * 100 + 'the last line\n'.length);
  assert.is(err, 200_001);
  assert.ok(tail.endsWith('the last line\n'));
});

test.run();
