// The mwan3 contract (docs/mwan3-backend.md) against a simulated router: recording
// hotplug-call / conntrack / ipset / ubus executables and fake mwan3track processes that really
// handle USR1/USR2/TERM (test/fakes/mwan3-sim/). Real processes, real files, real signals.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMwan3Backend, type Mwan3BackendDeps } from '../../../src/actions/mwan3/backend.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import { nodeClock, nodeFs, nodeSignals, nodeSpawner } from '../../../src/platform/node.ts';
import { Mwan3Sim, iface, waitFor } from '../../fakes/mwan3-sim/sim.ts';

const WAN = iface('wan', 'wg0', 1);
const WAN2 = iface('wan2', 'wg1', 2);

function backend(sim: Mwan3Sim, over: Partial<Mwan3BackendDeps> = {}) {
  const log = memoryLog();
  const b = createMwan3Backend({
    spawner: nodeSpawner, fs: nodeFs, clock: nodeClock, signals: nodeSignals, log,
    runDir: `${sim.dir}/wanpulse`, uptimeS: async () => 4242, paths: sim.paths,
    drain: true, drainOnRecovery: false, mmxMask: 0x3f00, pid: 4711, ...over,
  });
  return { b, log };
}

function ownedFile(sim: Mwan3Sim): string[] {
  const text = sim.read('wanpulse/owned.json');
  return text ? Object.keys((JSON.parse(text) as { owned: Record<string, unknown> }).owned) : [];
}

/** runs `fn` with a fresh simulator that is always cleaned up, also on failure */
function withSim(fn: (sim: Mwan3Sim) => Promise<void>) {
  return async () => {
    const sim = new Mwan3Sim();
    try { await fn(sim); } finally { await sim.cleanup(); }
  };
}

/** takes `i` down and waits until its tracker parked */
async function downParked(b: ReturnType<typeof backend>['b'], sim: Mwan3Sim, i = WAN, version: '2.11' | '2.12' = '2.12') {
  const res = await b.takeDown(i, 'dead');
  assert.ok(res.ok, res.error);
  await waitFor(() => (version === '2.11' ? sim.calls().some((c) => c.event === 'skip-disconnected' && c.iface === i.name) : parked(sim, i.name)) && sim.status(i.name) === 'offline', `${i.name} to park`);
}

/** the tracker parked itself (2.12: STARTED=0 and STATUS back to our offline) */
const parked = (sim: Mwan3Sim, name = 'wan') => sim.read(`run/mwan3track/${name}/STARTED`) === '0' && sim.status(name) === 'offline';

test('2.12 down: STATUS first, one disconnected event with env -i, drain, USR1 in its sleep, parked without an event', withSim(async (sim) => {
  const pid = await sim.startTracker('wan', 'wg0', '2.12', { interval: 30 });
  sim.write('run/mwan3/iface_state/wan', 'online\n');
  sim.clearCalls();
  const { b } = backend(sim);
  await b.start([WAN, WAN2]);

  const res = await b.takeDown(WAN, 'all targets lost');

  assert.ok(res.ok, res.error);
  assert.equal(res.steps.map((s) => s.step), ['status', 'spawned', 'hotplug', 'drain', 'park']);
  await waitFor(() => parked(sim), 'the tracker to park');
  assert.equal(sim.trace(), [
    'hotplug disconnected wan',
    'conntrack -D -f ipv4 -m 0x100/0x3f00',
    'ipset -n list',
    'tracker USR1 wan',
    'tracker skip-disconnected wan',
  ]);
  const [hp] = sim.calls();
  assert.equal(hp!.argv!.slice(1), ['iface']);
  assert.equal(hp!.envKeys!.sort(), ['ACTION', 'DEVICE', 'INTERFACE'], 'exactly the env of env -i ACTION= INTERFACE= DEVICE=');
  assert.is(hp!.DEVICE, 'wg0');
  assert.is(hp!.trackerStatus, 'offline', 'STATUS was written before the event');
  assert.is(sim.calls().find((c) => c.event === 'skip-disconnected')!.statusRead, 'offline');
  assert.equal(sim.trackerEvents('wan'), []);
  assert.is(sim.ifaceState('wan'), 'offline');
  assert.is(sim.read('run/mwan3track/wan/ONLINE'), '0');
  assert.ok(sim.alive(pid));
  assert.equal(ownedFile(sim), ['wan']);
  assert.equal(b.owned(), ['wan']);
}));

test('2.12 up: connected without FIRSTCONNECT, then USR2; the tracker resumes and ownership is cleared', withSim(async (sim) => {
  await sim.startTracker('wan', 'wg0', '2.12', { interval: 30 });
  const { b } = backend(sim);
  await b.start([WAN]);
  assert.ok((await b.takeDown(WAN, 'dead')).ok);
  await waitFor(() => parked(sim), 'park');
  sim.clearCalls();

  const res = await b.bringUp(WAN, 'recovered');

  assert.ok(res.ok, res.error);
  assert.equal(res.steps.map((s) => s.step), ['spawned', 'hotplug', 'resume']);
  await waitFor(() => sim.trace().some((t) => t.includes('FIRSTCONNECT')), 'the resumed tracker to fire its event');
  assert.equal(sim.trace(), ['hotplug connected wan', 'tracker USR2 wan', 'tracker-hotplug connecting wan', 'tracker-hotplug connected FIRSTCONNECT wan']);
  assert.equal(sim.calls()[0]!.envKeys!.sort(), ['ACTION', 'DEVICE', 'INTERFACE']);
  assert.is(sim.ifaceState('wan'), 'online');
  await waitFor(() => sim.read('run/mwan3track/wan/STARTED') === '1', 'STARTED=1');
  assert.is(sim.status('wan'), 'online');
  assert.equal(ownedFile(sim), []);
  assert.equal(b.owned(), []);
}));

test('2.11 (no PID/STARTED files): tracker pid comes from procd via ubus for park and resume', withSim(async (sim) => {
  const pid = await sim.startTracker('wan', 'wg0', '2.11', { interval: 30 });
  assert.is(sim.read('run/mwan3track/wan/PID'), null);
  sim.clearCalls();
  const { b } = backend(sim, { drain: false });
  await b.start([WAN]);

  await downParked(b, sim, WAN, '2.11');
  assert.equal(sim.trace(), ['hotplug disconnected wan', 'ubus call service list {"name":"mwan3"}', 'tracker USR1 wan', 'tracker skip-disconnected wan']);
  assert.is(sim.calls()[2]!.pid, pid);
  assert.is(sim.calls()[2]!.statusBefore, 'offline');
  assert.is(sim.status('wan'), 'offline');

  sim.clearCalls();
  const up = await b.bringUp(WAN, 'recovered');
  assert.ok(up.ok, up.error);
  await waitFor(() => sim.trace().some((t) => t.includes('FIRSTCONNECT')), 'resume');
  assert.equal(sim.trace(), [
    'ubus call service list {"name":"mwan3"}', 'hotplug connected wan', 'tracker USR2 wan', 'tracker-hotplug connecting wan', 'tracker-hotplug connected FIRSTCONNECT wan',
  ]);
}));

test('the fake tracker itself fires disconnected on USR1 when STATUS was online (what step 1 prevents)', withSim(async (sim) => {
  const pid = await sim.startTracker('wan', 'wg0', '2.12');
  sim.clearCalls();
  process.kill(pid, 'SIGUSR1');
  await waitFor(() => sim.status('wan') === 'disabled', 'park');
  assert.equal(sim.trace(), ['tracker USR1 wan', 'tracker-hotplug disconnected wan']);
}));

test('drain deletes only the flows and sticky entries carrying this uplink\'s mark and family', withSim(async (sim) => {
  sim.setFlows(['ipv4 0x100', 'ipv4 0x200', 'ipv4 0x1100', 'ipv4 0x100', 'ipv6 0x100']);
  sim.setSticky('mwan3_rule_ipv4_https', ['192.168.1.10,0x00000100 timeout 500', '192.168.1.11,0x00000200 timeout 500']);
  sim.setSticky('mwan3_rule_ipv6_https', ['fd00::10,0x00000100 timeout 500']);
  sim.setSticky('mwan3_connected_ipv4', ['10.0.0.0/8']);
  const { b } = backend(sim);
  await b.start([WAN, WAN2]);

  const res = await b.takeDown(WAN, 'dead');

  assert.ok(res.ok, res.error);
  assert.equal(sim.flows(), ['ipv4 0x200', 'ipv4 0x1100', 'ipv6 0x100']);
  assert.equal(sim.sticky('mwan3_rule_ipv4_https'), ['192.168.1.11,0x00000200 timeout 500']);
  assert.equal(sim.sticky('mwan3_rule_ipv6_https'), ['fd00::10,0x00000100 timeout 500']);
  assert.equal(sim.sticky('mwan3_connected_ipv4'), ['10.0.0.0/8']);
  const restore = sim.calls().find((c) => c.cmd === 'ipset' && c.argv!.includes('restore'));
  assert.is(restore!.stdin, 'del mwan3_rule_ipv4_https 192.168.1.10,0x00000100');
  assert.not.ok(sim.calls().some((c) => c.cmd === 'ipset' && c.argv!.includes('mwan3_connected_ipv4')), 'foreign sets are not even read');
}));

test('an IPv6 uplink drains with -f ipv6 and only the ipv6 sticky sets', withSim(async (sim) => {
  const V6 = iface('wan6', 'wg6', 3, 'ipv6');
  sim.setFlows(['ipv6 0x300', 'ipv4 0x300']);
  sim.setSticky('mwan3_rule_ipv4_https', ['192.168.1.10,0x00000300 timeout 500']);
  sim.setSticky('mwan3_rule_ipv6_https', ['fd00::10,0x00000300 timeout 500']);
  const { b } = backend(sim);
  await b.start([V6]);
  assert.ok((await b.takeDown(V6, 'dead')).ok);
  assert.ok(sim.trace().includes('conntrack -D -f ipv6 -m 0x300/0x3f00'));
  assert.equal(sim.flows(), ['ipv4 0x300']);
  assert.equal(sim.sticky('mwan3_rule_ipv6_https'), []);
  assert.equal(sim.sticky('mwan3_rule_ipv4_https'), ['192.168.1.10,0x00000300 timeout 500']);
}));

test('crash and restart: the next instance hands back what the previous one held', withSim(async (sim) => {
  const pid = await sim.startTracker('wan', 'wg0', '2.12', { interval: 30 });
  const first = backend(sim);
  await first.b.start([WAN]);
  await downParked(first.b, sim);
  // the first instance dies without stop() (kill -9): its record stays behind
  assert.equal(ownedFile(sim), ['wan']);
  sim.clearCalls();

  const second = backend(sim, { pid: 4712 });
  await second.b.start([WAN]);

  await waitFor(() => sim.trace().some((t) => t.includes('FIRSTCONNECT')), 'hand-back');
  assert.equal(sim.trace(), ['hotplug connected wan', 'tracker USR2 wan', 'tracker-hotplug connecting wan', 'tracker-hotplug connected FIRSTCONNECT wan']);
  assert.is(sim.calls()[1]!.pid, pid);
  assert.is(sim.ifaceState('wan'), 'online');
  assert.equal(ownedFile(sim), []);
  assert.equal(second.b.owned(), []);
  assert.ok(second.log.lines.some((l) => l.includes('wan was held offline by an earlier wanpulse (pid 4711)')), second.log.lines.join('\n'));
}));

test('mwan3 restart (run dir recreated, trackers restarted): reconcile takes the interface out again', withSim(async (sim) => {
  const oldPid = await sim.startTracker('wan', 'wg0', '2.12', { interval: 30 });
  const { b } = backend(sim);
  await b.start([WAN]);
  await downParked(b, sim);
  assert.equal((await b.reconcile()).repaired, [], 'nothing to repair while everything holds');

  // `mwan3 restart`: trackers replaced, /var/run/mwan3 rebuilt, the interface marked online again
  await sim.stopTracker(oldPid);
  sim.remove('run/mwan3');
  const newPid = await sim.startTracker('wan', 'wg0', '2.12', { interval: 30 });
  sim.write('run/mwan3/iface_state/wan', 'online\n');
  sim.clearCalls();

  const rep = await b.reconcile();
  await waitFor(() => parked(sim), 'the new tracker to park', 20_000);

  assert.is(rep.repaired.length, 1, rep.repaired.join());
  assert.equal(sim.trace(), ['hotplug disconnected wan', 'conntrack -D -f ipv4 -m 0x100/0x3f00', 'ipset -n list', 'tracker USR1 wan', 'tracker skip-disconnected wan']);
  assert.is(sim.calls()[3]!.pid, newPid);
  assert.is(sim.ifaceState('wan'), 'offline');
  assert.equal(b.owned(), ['wan']);
}));

test('iface_state rewritten to online while the tracker stays parked: only the event is re-sent', withSim(async (sim) => {
  await sim.startTracker('wan', 'wg0', '2.12', { interval: 30 });
  const { b } = backend(sim, { drain: false });
  await b.start([WAN]);
  await downParked(b, sim);
  sim.write('run/mwan3/iface_state/wan', 'online\n');
  sim.clearCalls();

  const rep = await b.reconcile();

  assert.is(rep.repaired.length, 1);
  assert.equal(sim.trace(), ['hotplug disconnected wan'], 'the parked tracker is not signalled again');
  assert.is(sim.ifaceState('wan'), 'offline');
}));

test('procd respawns the tracker while wanpulse owns the interface: reconcile parks the new one', withSim(async (sim) => {
  const oldPid = await sim.startTracker('wan', 'wg0', '2.12', { interval: 30 });
  const { b } = backend(sim);
  await b.start([WAN]);
  await downParked(b, sim);
  await sim.stopTracker(oldPid);
  const newPid = await sim.startTracker('wan', 'wg0', '2.12', { interval: 30 });
  assert.is(sim.ifaceState('wan'), 'offline', 'a FIRSTCONNECT event changes no routing');
  sim.clearCalls();

  const rep = await b.reconcile();
  await waitFor(() => parked(sim), 'the new tracker to park', 20_000);

  assert.is(rep.repaired.length, 1, rep.repaired.join());
  assert.match(rep.repaired[0]!, /tracker restarted/);
  assert.equal(sim.trace(), ['tracker USR1 wan', 'tracker skip-disconnected wan'], 'no routing change, no duplicate disconnected');
  assert.is(sim.calls()[0]!.pid, newPid);
  assert.equal((await b.reconcile()).repaired, [], 'stable afterwards');
}));

test('2.11 tracker respawn is noticed from STATUS alone', withSim(async (sim) => {
  const oldPid = await sim.startTracker('wan', 'wg0', '2.11', { interval: 30 });
  const { b } = backend(sim, { drain: false });
  await b.start([WAN]);
  await downParked(b, sim, WAN, '2.11');
  await sim.stopTracker(oldPid);
  const newPid = await sim.startTracker('wan', 'wg0', '2.11', { interval: 30 });
  sim.clearCalls();

  const rep = await b.reconcile();
  // a respawned tracker runs its first round before it sleeps and can be parked: allow for it under load
  await waitFor(() => sim.status('wan') === 'offline' && sim.calls().some((c) => c.event === 'skip-disconnected'), 'park', 20_000);

  assert.is(rep.repaired.length, 1, rep.repaired.join());
  assert.equal(sim.trace(), ['ubus call service list {"name":"mwan3"}', 'ubus call service list {"name":"mwan3"}', 'tracker USR1 wan', 'tracker skip-disconnected wan']);
  assert.is(sim.calls()[2]!.pid, newPid);
}));

test('an interface mwan3track itself holds offline is reported, not fought', withSim(async (sim) => {
  await sim.startTracker('wan', 'wg0', '2.12', { interval: 30 });
  await sim.startTracker('wan2', 'wg1', '2.12', { down: 1, up: 1, interval: 1 });
  const { b } = backend(sim);
  await b.start([WAN, WAN2]);
  await downParked(b, sim);
  assert.equal((await b.reconcile()).offlineByMwan3, []);

  sim.line('wan2', 'down');
  await waitFor(() => sim.ifaceState('wan2') === 'offline', 'mwan3track to take wan2 down', 6000);
  sim.clearCalls();

  const rep = await b.reconcile();

  assert.equal(rep.offlineByMwan3, ['wan2'], 'owned wan is not reported');
  assert.equal(rep.repaired, []);
  assert.equal(sim.trace().filter((t) => !t.startsWith('tracker')), [], 'nothing was sent');
  assert.equal(b.owned(), ['wan']);
}));

test('hotplug-call missing: clear error, tracker left running, ownership kept and cleaned on stop', withSim(async (sim) => {
  const pid = await sim.startTracker('wan', 'wg0', '2.12', { interval: 30 });
  const { b, log } = backend(sim, { paths: { ...sim.paths, hotplugCall: `${sim.dir}/bin/no-such-hotplug-call` } });
  await b.start([WAN]);
  sim.clearCalls();

  const res = await b.takeDown(WAN, 'dead');

  assert.not.ok(res.ok);
  assert.match(res.error!, /no-such-hotplug-call not found/);
  assert.equal(res.steps.map((s) => s.step), ['status', 'hotplug']);
  assert.equal(sim.trace(), [], 'no drain, no park: mwan3track keeps watching');
  assert.is(sim.status('wan'), 'online', 'the tracker\'s files are put back');
  assert.ok(log.lines.some((l) => l.startsWith('error:') && l.includes('not found')));
  assert.equal(b.owned(), ['wan']);
  assert.equal(ownedFile(sim), ['wan']);

  await b.stop();

  assert.equal(b.owned(), []);
  assert.equal(ownedFile(sim), []);
  await new Promise((r) => setTimeout(r, 150)); // a signal would be recorded within this time
  assert.equal(sim.trace(), [], 'a tracker that was never parked is not signalled');
  assert.ok(sim.alive(pid));
}));

test('stop() hands back every owned interface (side by side, each in its order) and leaves an empty record', withSim(async (sim) => {
  await sim.startTracker('wan', 'wg0', '2.12', { interval: 30 });
  await sim.startTracker('wan2', 'wg1', '2.12', { interval: 30 });
  const { b } = backend(sim, { drain: false });
  await b.start([WAN, WAN2]);
  await downParked(b, sim, WAN);
  await downParked(b, sim, WAN2);
  assert.equal(ownedFile(sim), ['wan', 'wan2']);
  sim.clearCalls();

  await b.stop();

  await waitFor(() => sim.trace().filter((t) => t.includes('FIRSTCONNECT')).length === 2, 'both trackers resumed');
  const ours = sim.trace().filter((t) => !t.startsWith('tracker-hotplug'));
  // the interfaces are handed back at the same time; each one's connected comes before its USR2
  for (const n of ['wan', 'wan2']) assert.equal(ours.filter((t) => t.endsWith(` ${n}`)), [`hotplug connected ${n}`, `tracker USR2 ${n}`], ours.join(' | '));
  assert.is(ours.length, 4, ours.join(' | '));
  assert.is(sim.ifaceState('wan'), 'online');
  assert.is(sim.ifaceState('wan2'), 'online');
  assert.equal(ownedFile(sim), []);
  assert.equal(b.owned(), []);
}));

test.run();
