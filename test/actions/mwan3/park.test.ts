// TrackerPark with a fake clock and files: when wanpulse begins to park a tracker that has just
// ended its round (TURN written) but not yet started its sleep, it signals in that sleep, not a
// whole sleep and round later. The tracker's files and /proc are a MemoryFs; no process runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TrackerPark } from '../../../src/actions/mwan3/park.ts';
import { DEFAULT_MWAN3_PATHS } from '../../../src/actions/mwan3/files.ts';
import type { Mwan3TrackerSettings } from '../../../src/config/types.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import { FakeClock } from '../../fakes/clock.ts';
import { MemoryFs } from '../../fakes/fs.ts';

const PID = 100;
const settings: Mwan3TrackerSettings = {
  targets: 2, reliability: 1, count: 1, timeoutS: 1, intervalS: 30, failureIntervalS: 30, recoveryIntervalS: 30,
  down: 3, up: 3, initialState: 'online',
};
const paths = { ...DEFAULT_MWAN3_PATHS, trackDir: '/t', procDir: '/p' };
const flush = () => new Promise<void>((r) => setImmediate(r));

function rig() {
  const fs = new MemoryFs({
    '/t/wan/STATUS': 'online\n', '/t/wan/PID': `${PID}\n`, '/t/wan/STARTED': '1\n', '/t/wan/TURN': '7\n', '/t/wan/SCORE': '6\n',
    // between the round's last write and its sleep: no child yet
    [`/p/${PID}/task/${PID}/children`]: '',
  });
  const clock = new FakeClock();
  const usr1: number[] = [];
  const park = new TrackerPark({ fs, clock, log: memoryLog(), paths, signals: { on: () => undefined, kill: (pid, sig) => { if (sig === 'SIGUSR1') usr1.push(clock.nowMs()); return pid === PID; } } });
  const run = async (ms: number) => { for (let t = 0; t < ms; t += 10) { clock.advance(10); await flush(); } };
  const sleepChild = () => {
    fs.files.set(`/p/${PID}/task/${PID}/children`, '200 ');
    fs.files.set('/p/200/stat', `200 (sleep) S ${PID} 1 1 0 -1 0`);
  };
  return { fs, clock, usr1, park, run, sleepChild };
}

test('begun after the round ended but before the sleep: USR1 in that sleep, within a few polls', async () => {
  const r = rig();
  const job = await r.park.begin('wan', PID, settings, { status: 'offline\n', online: '0\n', offline: '1\n' });
  assert.is(job.phase, 'waiting');
  await r.run(50);
  assert.equal(r.usr1, [], 'no signal while the tracker runs builtins');
  r.sleepChild();
  await r.run(200);
  assert.is(r.usr1.length, 1, 'signalled in the sleep that follows');
  assert.ok(r.usr1[0]! <= 120, `USR1 at ${r.usr1[0]} ms`);
  r.park.forget('wan');
});

test('in a round (its child is ping): no signal until it sleeps', async () => {
  const r = rig();
  r.fs.files.set(`/p/${PID}/task/${PID}/children`, '300 ');
  r.fs.files.set('/p/300/stat', `300 (ping) S ${PID} 1 1 0 -1 0`);
  await r.park.begin('wan', PID, settings, { status: 'offline\n', online: '0\n', offline: '1\n' });
  await r.run(1000);
  assert.equal(r.usr1, []);
  r.fs.files.set('/t/wan/TURN', '8\n');
  r.sleepChild();
  await r.run(100);
  assert.is(r.usr1.length, 1);
  r.park.forget('wan');
});

test.run();
