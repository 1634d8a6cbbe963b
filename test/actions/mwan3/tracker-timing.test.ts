// The mwan3 backend against a fake tracker that keeps mwan3track's order of operations and timing
// (test/fakes/mwan3-sim/mwan3track): signals only between its commands, probes that take `timeout`
// seconds on a dead line, its round going on after USR1. A USR1 that lands mid-ping, mid-sleep
// and during the tracker's own transition; a hand-back while the park is still under way; the
// tracker's own resume round with `up 1`; reconcile beside a slow park. Real processes and signals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMwan3Backend } from '../../../src/actions/mwan3/backend.ts';
import { trackerChild } from '../../../src/actions/mwan3/files.ts';
import type { InterfaceConfig, Mwan3TrackerSettings } from '../../../src/config/types.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import { nodeClock, nodeFs, nodeSignals, nodeSpawner } from '../../../src/platform/node.ts';
import { Mwan3Sim, iface, waitFor, type TrackerOpts } from '../../fakes/mwan3-sim/sim.ts';

/** a WAN whose mwan3track settings match the fake tracker's */
function wan(o: Required<Pick<TrackerOpts, 'targets' | 'timeout' | 'interval' | 'down' | 'up'>>): InterfaceConfig {
  const t: Mwan3TrackerSettings = {
    targets: o.targets, reliability: 1, count: 1, timeoutS: o.timeout, intervalS: o.interval,
    failureIntervalS: o.interval, recoveryIntervalS: o.interval, down: o.down, up: o.up, initialState: 'online',
  };
  return { ...iface('wan', 'wg0', 1), mwan3Tracker: t };
}

function backend(sim: Mwan3Sim) {
  const log = memoryLog();
  const b = createMwan3Backend({
    spawner: nodeSpawner, fs: nodeFs, clock: nodeClock, signals: nodeSignals, log,
    runDir: `${sim.dir}/wanpulse`, uptimeS: async () => 4242, paths: sim.paths,
    drain: false, drainOnRecovery: false, mmxMask: 0x3f00, pid: 4711,
  });
  return { b, log };
}

function withSim(fn: (sim: Mwan3Sim) => Promise<void>) {
  return async () => {
    const sim = new Mwan3Sim();
    try { await fn(sim); } finally { await sim.cleanup(); }
  };
}

/** polls the tracker's running child until `cond` holds for its name */
async function childIs(pid: number, want: string, what: string, timeoutMs = 8000): Promise<void> {
  let comm: string | null = null;
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < timeoutMs / 5 && Date.now() < deadline; i++) {
    comm = await trackerChild(nodeFs, '/proc', pid);
    if (comm === want) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what} (child: ${comm})`);
}

const parked = (sim: Mwan3Sim) => sim.read('run/mwan3track/wan/STARTED') === '0' && sim.status('wan') === 'offline';
const plainConnected = (sim: Mwan3Sim) => sim.calls().filter((c) => c.cmd === 'hotplug-call' && c.ACTION === 'connected' && c.FIRSTCONNECT !== '1').length;

test('USR1 that would land mid-ping: one disconnected (ours), the tracker parks after its round', withSim(async (sim) => {
  const o = { targets: 2, timeout: 1, interval: 1, down: 5, up: 5 };
  const pid = await sim.startTracker('wan', 'wg0', '2.12', o);
  const { b } = backend(sim);
  await b.start([wan(o)]);
  sim.line('wan', 'down');
  await childIs(pid, 'ping', 'the tracker to probe the dead line');
  sim.clearCalls();

  const res = await b.takeDown(wan(o), 'dead');

  assert.ok(res.ok, res.error);
  assert.is(res.applied, true);
  await waitFor(() => parked(sim), 'the tracker to park', 8000);
  assert.equal(sim.ourEvents('wan'), ['disconnected']);
  assert.not.ok(sim.trackerEvents('wan').includes('disconnected'), sim.trace().join('\n'));
  assert.is(sim.ifaceState('wan'), 'offline');
}));

test('USR1 mid-sleep: the tracker parks at once and sends nothing', withSim(async (sim) => {
  const o = { targets: 2, timeout: 1, interval: 30, down: 5, up: 5 };
  const pid = await sim.startTracker('wan', 'wg0', '2.12', o);
  const { b } = backend(sim);
  await b.start([wan(o)]);
  await childIs(pid, 'sleep', 'the tracker to sleep');
  sim.line('wan', 'down');
  sim.clearCalls();

  assert.ok((await b.takeDown(wan(o), 'dead')).ok);
  await waitFor(() => parked(sim), 'the tracker to park', 2000);

  assert.equal(sim.trace(), ['hotplug disconnected wan', 'tracker USR1 wan', 'tracker skip-disconnected wan']);
}));

test('during its own transition (its `disconnecting` event runs): no disconnected of its own', withSim(async (sim) => {
  const o = { targets: 1, timeout: 1, interval: 1, down: 5, up: 5 };
  sim.write('state/hotplug-delay', '0.6\n');
  const pid = await sim.startTracker('wan', 'wg0', '2.12', o);
  const { b } = backend(sim);
  await b.start([wan(o)]);
  sim.line('wan', 'down');
  await waitFor(() => sim.status('wan') === 'disconnecting', 'the tracker\'s own transition', 8000);
  await childIs(pid, 'hotplug-call', 'its hotplug-call', 400);
  sim.clearCalls();

  assert.ok((await b.takeDown(wan(o), 'dead')).ok);
  await waitFor(() => parked(sim), 'the tracker to park', 10_000);

  assert.equal(sim.ourEvents('wan'), ['disconnected']);
  assert.not.ok(sim.trackerEvents('wan').includes('disconnected'), sim.trace().join('\n'));
}));

test('hand-back while the tracker is still finishing its round: connected at once, then USR2; it resumes and stays online', withSim(async (sim) => {
  const o = { targets: 3, timeout: 2, interval: 1, down: 5, up: 5 };
  const pid = await sim.startTracker('wan', 'wg0', '2.12', o);
  const { b } = backend(sim);
  await b.start([wan(o)]);
  sim.line('wan', 'down');
  await childIs(pid, 'ping', 'the tracker to probe the dead line');
  assert.ok((await b.takeDown(wan(o), 'dead')).ok);
  assert.not.ok(parked(sim), 'its round of 3 × 2 s is not over');
  sim.line('wan', 'up');

  const t0 = Date.now();
  const up = await b.bringUp(wan(o), 'recovered');

  assert.ok(up.ok, up.error);
  assert.ok(Date.now() - t0 < 3000, `hand-back took ${Date.now() - t0} ms: it waited behind the park`);
  assert.equal(sim.ourEvents('wan'), ['disconnected', 'connected']);
  await waitFor(() => sim.calls().some((c) => c.event === 'USR2' && c.pid === pid), 'the tracker to get USR2');
  await waitFor(() => sim.trackerEvents('wan').includes('connected FIRSTCONNECT'), 'the tracker to resume', 10_000);
  // one more round of the resumed tracker (counted by its TURN, not by a time a loaded machine stretches)
  const turn = sim.read('run/mwan3track/wan/TURN');
  await waitFor(() => sim.read('run/mwan3track/wan/TURN') !== turn && sim.status('wan') !== null, 'one more round', 15_000);
  assert.not.ok(sim.trackerEvents('wan').includes('disconnected'), sim.trace().join('\n'));
  assert.is(plainConnected(sim), 1, 'one plain connected: ours');
  assert.is(sim.ifaceState('wan'), 'online');
  assert.is(sim.status('wan'), 'online');
  assert.is(sim.read('run/mwan3track/wan/STARTED'), '1');
  assert.equal(b.owned(), []);
}));

/** `up 1` (the tracker leads the hand-back), its line cut, wan taken down and the tracker parked */
async function parkedUp1(sim: Mwan3Sim) {
  const o = { targets: 2, timeout: 1, interval: 1, down: 1, up: 1 };
  await sim.startTracker('wan', 'wg0', '2.12', o);
  const { b, log } = backend(sim);
  await b.start([wan(o)]);
  sim.line('wan', 'down');
  assert.ok((await b.takeDown(wan(o), 'dead')).ok);
  await waitFor(() => parked(sim), 'the tracker to park', 8000);
  return { o, b, log };
}

test('up 1: the tracker\'s own connected after USR2 is the hand-back (one plain connected per cut)', withSim(async (sim) => {
  const { o, b, log } = await parkedUp1(sim);
  // the tracker-led hand-back needs wanpulse to have seen the park (its watcher polls: later under load)
  await waitFor(() => log.lines.some((l) => l.includes('of wan parked')), 'wanpulse to see the park', 8000);
  sim.line('wan', 'up');
  // wanpulse decides a recovery only after its good rounds, by when a probe round the tracker
  // began while the line was still down (2 targets × 1 s timeout) has ended: so here too
  await new Promise((r) => setTimeout(r, 2200));
  sim.clearCalls();

  const up = await b.bringUp(wan(o), 'recovered');
  assert.ok(up.ok, up.error);
  await waitFor(() => sim.trackerEvents('wan').includes('connected FIRSTCONNECT'), 'the tracker to resume', 5000);

  assert.equal(sim.ourEvents('wan'), [], 'wanpulse sent no connected of its own');
  assert.equal(sim.trackerEvents('wan'), ['connecting', 'connected', 'connected FIRSTCONNECT']);
  assert.is(sim.ifaceState('wan'), 'online');
  assert.ok(log.lines.some((l) => l.includes('mwan3track sent connected')), log.lines.join('\n'));
}));

/** stop() within the daemon's 1 s for the backend, our own `connected` for each uplink, an empty record */
async function stopHandsBack(sim: Mwan3Sim, b: ReturnType<typeof backend>['b'], names: string[]): Promise<void> {
  sim.clearCalls();
  const t0 = Date.now();
  await b.stop();
  const took = Date.now() - t0;
  assert.ok(took < 1000, `stop took ${took} ms`);
  for (const n of names) assert.equal(sim.ourEvents(n), ['connected'], sim.trace().join('\n'));
  assert.equal(JSON.parse(sim.read('wanpulse/owned.json')!).owned, {}, 'nothing left in the record');
}

test('up 1, stop while the line is still dead: our own connected goes out within the daemon\'s 1 s for the hand-back', withSim(async (sim) => {
  // found beside the real mwan3track: stop waited 1.5 s for a tracker-led resume that cannot come
  // on a dead line, while the daemon gives the backend's stop 1 s, so nothing was handed back
  const { b, log } = await parkedUp1(sim);
  await waitFor(() => log.lines.some((l) => l.includes('of wan parked')), 'wanpulse to see the park', 8000);
  await stopHandsBack(sim, b, ['wan']);
}));

test('up 1, stop with two uplinks held on dead lines: both handed back within the daemon\'s 1 s (side by side, not one after the other)', withSim(async (sim) => {
  const o = { targets: 2, timeout: 1, interval: 1, down: 1, up: 1 };
  const wan2 = { ...wan(o), name: 'wan2', device: 'wg1', mark: 2 };
  await sim.startTracker('wan', 'wg0', '2.12', o);
  await sim.startTracker('wan2', 'wg1', '2.12', o);
  const { b, log } = backend(sim);
  await b.start([wan(o), wan2]);
  sim.line('wan', 'down');
  sim.line('wan2', 'down');
  assert.ok((await b.takeDown(wan(o), 'dead')).ok);
  assert.ok((await b.takeDown(wan2, 'dead')).ok);
  await waitFor(() => log.lines.some((l) => l.includes('of wan parked')) && log.lines.some((l) => l.includes('of wan2 parked')), 'wanpulse to see both parks', 10_000);
  await stopHandsBack(sim, b, ['wan', 'wan2']);
}));

test('reconcile beside a slow park: the same pid is the same tracker, nothing is re-sent', withSim(async (sim) => {
  const o = { targets: 3, timeout: 1, interval: 1, down: 5, up: 5 };
  const pid = await sim.startTracker('wan', 'wg0', '2.12', o);
  const { b, log } = backend(sim);
  await b.start([wan(o)]);
  sim.line('wan', 'down');
  await childIs(pid, 'ping', 'the tracker to probe the dead line');
  assert.ok((await b.takeDown(wan(o), 'dead')).ok);
  const notes: string[] = [];
  for (let i = 0; i < 12 && !parked(sim); i++) {
    notes.push(...(await b.reconcile()).repaired);
    await new Promise((r) => setTimeout(r, 250));
  }
  await waitFor(() => parked(sim), 'the tracker to park', 8000);
  notes.push(...(await b.reconcile()).repaired);

  assert.equal(notes, []);
  assert.is(sim.calls().filter((c) => c.event === 'USR1').length, 1);
  assert.not.ok(log.lines.some((l) => l.startsWith('warn:')), log.lines.join('\n'));
}));

test.run();
