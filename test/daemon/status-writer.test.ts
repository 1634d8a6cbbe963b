// The status file: atomic writes on change, the periodic refresh skipped right after a write, one
// write at a time with one more for a change in between, and a failure streak logged once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StatusWriter } from '../../src/daemon/status-writer.ts';
import { WallClock } from '../../src/daemon/wall-clock.ts';
import type { FileSystem, Log } from '../../src/platform/ports.ts';
import type { StatusSnapshot } from '../../src/status/model.ts';
import { FakeClock } from '../fakes/clock.ts';
import { MemoryFs } from '../fakes/fs.ts';

const tick = () => new Promise<void>((r) => setTimeout(r, 0));

function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  return { lines, error: (m) => lines.push(`error ${m}`), warn: (m) => lines.push(`warn ${m}`), info: (m) => lines.push(`info ${m}`), debug: () => undefined };
}

function writer(fs: FileSystem, clock: FakeClock, log: Log, published: number[]) {
  let n = 0;
  const snap = () => ({ n: ++n } as unknown as StatusSnapshot);
  return new StatusWriter(fs, clock, log, '/run/status.json', snap, (s) => published.push((s as unknown as { n: number }).n));
}

test('a change writes and publishes at once; the refresh skips a fresh file and writes a stale one', async () => {
  const fs = new MemoryFs();
  const clock = new FakeClock();
  const published: number[] = [];
  const w = writer(fs, clock, recordingLog(), published);
  w.changed(true);
  await tick();
  assert.equal(JSON.parse(fs.files.get('/run/status.json')!), { n: 1 });
  clock.advance(500);
  w.changed(false);
  await tick();
  assert.equal(published, [1]);
  clock.advance(600);
  w.changed(false);
  await tick();
  assert.equal(published, [1, 2]);
  assert.equal(JSON.parse(fs.files.get('/run/status.json')!), { n: 2 });
});

test('a change during a write leads to exactly one more write, with the newest snapshot', async () => {
  const clock = new FakeClock();
  const written: string[] = [];
  let release: (() => void) | null = null;
  const fs = new MemoryFs();
  fs.writeAtomic = async (_p: string, t: string) => { written.push(t.trim()); if (!release) await new Promise<void>((r) => { release = r; }); };
  const w = writer(fs, clock, recordingLog(), []);
  w.changed(true);
  w.changed(true);
  w.changed(true);
  await tick();
  assert.equal(written.length, 1);
  release!();
  for (let i = 0; i < 5 && written.length < 2; i++) await tick();
  assert.equal(written.map((t) => JSON.parse(t).n), [1, 4]);
});

test('a failing write is logged once per streak, and again after a success', async () => {
  const clock = new FakeClock();
  const log = recordingLog();
  const fs = new MemoryFs();
  let fail = true;
  fs.writeAtomic = async () => { if (fail) throw new Error('ENOSPC: no space left on device'); };
  const w = writer(fs, clock, log, []);
  for (let i = 0; i < 3; i++) { w.changed(true); await tick(); }
  assert.equal(log.lines, ['warn cannot write /run/status.json: ENOSPC: no space left on device']);
  fail = false;
  w.changed(true); await tick();
  fail = true;
  w.changed(true); await tick();
  assert.is(log.lines.length, 2);
});

test('wall time of monotonic stamps: a stable offset, renewed when the wall clock jumps', () => {
  const clock = new FakeClock(1_000_000);
  let skew = 0;
  const wall = new WallClock({ nowMs: () => clock.nowMs(), wallMs: () => clock.wallMs() + skew, setTimer: (ms, fn) => clock.setTimer(ms, fn), clearTimer: (h) => clock.clearTimer(h) });
  assert.is(wall.toWall(0), 1_000_000);
  clock.advance(100);
  skew = 400; // wall clock jitter below a second: the offset stays, 'since' does not move
  assert.is(wall.toWall(100), 1_000_100);
  skew = 3_600_000; // NTP set the clock an hour ahead
  assert.is(wall.toWall(100), 1_000_100 + 3_600_000);
});

test.run();
