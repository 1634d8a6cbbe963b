// The mwan3 backend's decisions at the ports: an in-memory tmpfs, a recording spawner, recorded
// signals. The end-to-end sequences against real processes are in contract.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMwan3Backend, type Mwan3BackendDeps } from '../../../src/actions/mwan3/backend.ts';
import { parseServiceList } from '../../../src/actions/mwan3/files.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import { nodeClock } from '../../../src/platform/node.ts';
import type { RunOptions, RunResult, Signals } from '../../../src/platform/ports.ts';
import { FakeSpawner } from '../../fakes/spawner.ts';
import { MemoryFs } from '../../fakes/fs.ts';
import { iface } from '../../fakes/mwan3-sim/sim.ts';


/** Records signals; with a MemoryFs attached, USR1 parks the "tracker" at once (STATUS=disabled,
 *  STARTED=0) unless `slow`, as a real tracker does when the signal reaches it in its sleep. */
class RecordingSignals implements Signals {
  readonly sent: string[] = [];
  alive = new Set<number>([777]);
  slow = false;
  fs: MemoryFs | null = null;
  on() { /* unused */ }
  kill(pid: number, signal: string) {
    this.sent.push(`${signal} ${pid}`);
    if (signal === 'SIGUSR1' && this.fs && !this.slow && this.alive.has(pid)) {
      this.fs.files.set(`${T}/wan/STATUS`, 'disabled\n');
      this.fs.files.set(`${T}/wan/STARTED`, '0\n');
    }
    return this.alive.has(pid);
  }
}

const T = '/run/mwan3track';
const R = '/run/mwan3';
const done: RunResult = { code: 0, signal: null, stdout: '', stderr: '' };
const WAN = iface('wan', 'wg0', 1);
const WAN2 = iface('wan2', 'wg1', 2);
const WAN6 = iface('wan6', 'wg6', 3, 'ipv6');

function setup(handler?: (argv: string[], opts: RunOptions, fs: MemoryFs) => RunResult, over: Partial<Mwan3BackendDeps> = {}) {
  const fs = new MemoryFs();
  const signals = new RecordingSignals();
  signals.fs = fs;
  const spawner = new FakeSpawner((argv, opts) => (handler ? handler(argv, opts, fs) : done));
  const log = memoryLog();
  const b = createMwan3Backend({
    spawner, fs, clock: nodeClock, signals, log, runDir: '/run/wanpulse', uptimeS: async () => 100,
    paths: { trackDir: T, mwan3RunDir: R, hotplugCall: '/sbin/hotplug-call' },
    drain: false, drainOnRecovery: false, mmxMask: 0x3f00, ...over,
  });
  return { fs, signals, spawner, log, b };
}

const tracker = (fs: MemoryFs, name: string, pid: number, status = 'online') => {
  // procfs as the backend reads it: the tracker's child is its `sleep` between rounds
  fs.files.set(`/proc/${pid}/task/${pid}/children`, `${pid + 1} `);
  fs.files.set(`/proc/${pid + 1}/stat`, `${pid + 1} (sleep) S ${pid} ${pid} 0 0`);
  fs.files.set(`${T}/${name}/PID`, `${pid}\n`);
  fs.files.set(`${T}/${name}/STARTED`, '1\n');
  fs.files.set(`${T}/${name}/STATUS`, `${status}\n`);
  fs.files.set(`${T}/${name}/ONLINE`, '50\n');
  fs.files.set(`${T}/${name}/OFFLINE`, '0\n');
};

const owned = (fs: MemoryFs) => Object.keys(JSON.parse(fs.files.get('/run/wanpulse/owned.json') ?? '{"owned":{}}').owned);

test('names that are not plain interface/device names are refused before anything happens', async () => {
  const { b, spawner, fs } = setup();
  for (const bad of [iface('wan;reboot', 'wg0', 1), iface('wan', '../../etc', 1), iface('averyveryverylongname', 'wg0', 1), iface('wan', '', 1)]) {
    const res = await b.takeDown(bad, 'dead');
    assert.not.ok(res.ok);
    assert.match(res.error!, /invalid (interface|device) name/);
    assert.not.ok((await b.bringUp(bad, 'x')).ok);
  }
  assert.equal(spawner.runs, []);
  assert.is(fs.files.size, 0);
});

test('the ownership record exists before the routing changes', async () => {
  let ownedAtHotplug: string[] = [];
  const { b, fs } = setup((argv, _o, mfs) => {
    if (argv[0] === '/sbin/hotplug-call') ownedAtHotplug = owned(mfs);
    return done;
  });
  await b.start([WAN]);
  tracker(fs, 'wan', 777);
  fs.files.set(`${T}/wan/STATUS`, 'online\n');
  await b.takeDown(WAN, 'dead');
  assert.equal(ownedAtHotplug, ['wan']);
});

test('a slow park is not a failed switch: takeDown reports the switch, bringUp hands back at once', async () => {
  const { b, fs, signals, spawner } = setup();
  signals.slow = true; // the tracker is still in its round: it does not park yet
  await b.start([WAN]);
  tracker(fs, 'wan', 777);
  const res = await b.takeDown(WAN, 'dead');
  assert.ok(res.ok, res.error);
  assert.is(res.applied, true);
  assert.equal(res.steps.map((s) => s.step), ['status', 'spawned', 'hotplug', 'park']);
  assert.equal(signals.sent, ['SIGUSR1 777'], 'its child is `sleep`: signalled at once');
  assert.is(spawner.runs[0]!.opts.env!.ACTION, 'disconnected');
  assert.is(fs.files.get(`${T}/wan/STATUS`), 'offline\n');
  assert.is(fs.files.get(`${T}/wan/OFFLINE`), '100\n');
  assert.equal(b.owned(), ['wan']);
  // while it parks, the tracker writes its own state: wanpulse puts offline back
  fs.files.set(`${T}/wan/STATUS`, 'disconnecting\n');
  await new Promise((r) => setTimeout(r, 60));
  assert.is(fs.files.get(`${T}/wan/STATUS`), 'offline\n');
  assert.equal((await b.reconcile()).repaired, [], 'the same tracker, just slow: nothing re-sent');
  assert.equal(signals.sent, ['SIGUSR1 777']);

  const t0 = Date.now();
  const up = await b.bringUp(WAN, 'recovered');
  assert.ok(up.ok, up.error);
  assert.ok(Date.now() - t0 < 1000, 'not behind the park');
  assert.equal(spawner.runs.filter((r) => r.argv[0] === '/sbin/hotplug-call').map((r) => r.opts.env!.ACTION), ['disconnected', 'connected']);
  assert.equal(signals.sent, ['SIGUSR1 777', 'SIGUSR2 777']);
  assert.equal(b.owned(), []);
});

test('a tracker in the middle of a round is signalled only once its round ended', async () => {
  const { b, fs, signals } = setup();
  await b.start([WAN]);
  tracker(fs, 'wan', 777);
  fs.files.set('/proc/778/stat', '778 (ping) S 777 777 0 0');
  fs.files.set(`${T}/wan/TURN`, '5\n');
  const res = await b.takeDown(WAN, 'dead');
  assert.ok(res.ok, res.error);
  assert.equal(signals.sent, []);
  fs.files.set(`${T}/wan/STATUS`, 'disconnecting\n'); // its own decision in that round
  await new Promise((r) => setTimeout(r, 60));
  assert.is(fs.files.get(`${T}/wan/STATUS`), 'offline\n', 're-asserted before it reads it');
  assert.equal(signals.sent, []);
  fs.files.set(`${T}/wan/TURN`, '6\n'); // round over: it sleeps now
  fs.files.set('/proc/778/stat', '778 (sleep) S 777 777 0 0');
  for (let i = 0; i < 100 && signals.sent.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(signals.sent, ['SIGUSR1 777']);
  await b.stop();
});

test('a failing hotplug-call puts the tracker files back and parks nothing', async () => {
  const { b, fs, signals } = setup((argv) => (argv[0] === '/sbin/hotplug-call'
    ? { code: 1, signal: null, stdout: '', stderr: 'lock failed\n' } : done));
  await b.start([WAN]);
  tracker(fs, 'wan', 777);
  const res = await b.takeDown(WAN, 'dead');
  assert.not.ok(res.ok);
  assert.is(res.error, 'hotplug: /sbin/hotplug-call iface (disconnected) failed: exit 1: lock failed');
  assert.is(fs.files.get(`${T}/wan/STATUS`), 'online\n');
  assert.is(fs.files.get(`${T}/wan/ONLINE`), '50\n');
  assert.equal(signals.sent, []);
});

test('no tracker at all (no PID file, procd lists none): nothing to park, still a success', async () => {
  const { b, fs, signals, spawner } = setup((argv) => (argv[0] === 'ubus' ? { ...done, stdout: '{"mwan3":{"instances":{}}}' } : done));
  await b.start([WAN]);
  const res = await b.takeDown(WAN, 'dead');
  assert.ok(res.ok, res.error);
  assert.equal(signals.sent, []);
  assert.ok(spawner.runs.some((r) => r.argv[0] === 'ubus'));
  assert.is(fs.files.get(`${T}/wan/STATUS`), 'offline\n');
  // and the hand-back leaves no stale "offline" behind for anyone to misread
  assert.ok((await b.bringUp(WAN, 'ok')).ok);
  assert.is(fs.files.get(`${T}/wan/STATUS`), 'online\n');
  assert.equal((await b.reconcile()).offlineByMwan3, []);
});

test('restarted with an uplink kept out (kill -9, procd respawn): its parked tracker is adopted, not signalled again; the hand-back resumes it', async () => {
  const { b, fs, signals, spawner, log } = setup();
  fs.files.set('/run/wanpulse/owned.json', JSON.stringify({ version: 1, backend: 'mwan3', pid: 4242, owned: { wan: { since: 1, device: 'wg0', mark: 1 } } }));
  tracker(fs, 'wan', 777, 'offline'); // parked by the earlier instance: STARTED=0, our offline
  fs.files.set(`${T}/wan/STARTED`, '0\n');
  fs.files.set(`${T}/wan/OFFLINE`, '90\n');
  await b.start([WAN], new Set(['wan']));
  assert.equal(b.owned(), ['wan']);
  assert.equal((await b.reconcile()).repaired, [], `nothing to repair: ${log.lines.join(' | ')}`);
  assert.equal(signals.sent, [], 'a parked tracker is not signalled again (a USR1 would be a needless round)');
  assert.equal(spawner.runs.filter((r) => r.argv[0] === '/sbin/hotplug-call'), []);
  const up = await b.bringUp(WAN, 'recovered');
  assert.ok(up.ok, up.error);
  assert.equal(signals.sent, ['SIGUSR2 777'], 'the tracker we hold parked is resumed');
  assert.equal(spawner.runs.filter((r) => r.argv[0] === '/sbin/hotplug-call').map((r) => r.opts.env!.ACTION), ['connected']);
  assert.equal(b.owned(), []);
});

test('restarted with an uplink kept out whose tracker runs again (mwan3 restarted meanwhile): reconcile parks it', async () => {
  const { b, fs, signals } = setup();
  fs.files.set('/run/wanpulse/owned.json', JSON.stringify({ version: 1, backend: 'mwan3', pid: 4242, owned: { wan: { since: 1, device: 'wg0', mark: 1 } } }));
  tracker(fs, 'wan', 777, 'online');
  fs.files.set(`${R}/iface_state/wan`, 'offline\n');
  await b.start([WAN], new Set(['wan']));
  const rep = await b.reconcile();
  assert.equal(rep.repaired.length, 1, JSON.stringify(rep));
  assert.equal(signals.sent, ['SIGUSR1 777']);
  assert.is(fs.files.get(`${T}/wan/STARTED`), '0\n', 'parked');
});

test('bringUp with a failing hotplug-call keeps ownership and the tracker parked', async () => {
  let fail = false;
  const { b, fs, signals } = setup((argv) => (argv[0] === '/sbin/hotplug-call' && fail ? { ...done, code: 1 } : done));
  await b.start([WAN]);
  tracker(fs, 'wan', 777);
  await b.takeDown(WAN, 'dead');
  signals.sent.length = 0;
  fail = true;
  const res = await b.bringUp(WAN, 'recovered');
  assert.not.ok(res.ok);
  assert.equal(b.owned(), ['wan']);
  assert.equal(signals.sent, []);
  fail = false;
  assert.ok((await b.bringUp(WAN, 'recovered')).ok);
  assert.equal(signals.sent, ['SIGUSR2 777']);
  assert.equal(b.owned(), []);
  assert.equal(owned(fs), []);
});

test('drain_on_recovery drains the other uplinks of the same family that are in rotation', async () => {
  const { b, spawner } = setup((argv) => (argv[0] === 'conntrack' ? { ...done, code: 1, stderr: '0 flow entries have been deleted.' } : done),
    { drainOnRecovery: true });
  const WAN3 = iface('wan3', 'wg3', 4);
  await b.start([WAN, WAN2, WAN6, WAN3]);
  await b.takeDown(WAN, 'dead');
  await b.takeDown(WAN3, 'dead');
  spawner.runs.length = 0;
  const res = await b.bringUp(WAN, 'recovered');
  assert.ok(res.ok, res.error);
  assert.equal(res.steps.map((s) => s.step), ['spawned', 'hotplug', 'drain', 'resume']);
  const ct = spawner.runs.filter((r) => r.argv[0] === 'conntrack').map((r) => r.argv.join(' '));
  assert.equal(ct, ['conntrack -D -f ipv4 -m 0x200/0x3f00'], 'wan2 only: not wan itself, not ipv6 wan6, not still-owned wan3');
});

test('reconcile backs off from an interface whose re-apply keeps failing', async () => {
  let hotplugs = 0;
  const { b, fs } = setup((argv) => {
    if (argv[0] === '/sbin/hotplug-call') { hotplugs++; return { ...done, code: 1 }; }
    return done;
  });
  await b.start([WAN]);
  await b.takeDown(WAN, 'dead');
  fs.files.set(`${R}/iface_state/wan`, 'online\n');
  const before = hotplugs;
  const first = await b.reconcile();
  assert.is(first.repaired.length, 1);
  assert.match(first.repaired[0]!, /failed/);
  const second = await b.reconcile();
  assert.equal(second.repaired, []);
  assert.is(hotplugs, before + 1);
});

test('a late USR1 that left STATUS=disabled is rewritten to offline', async () => {
  const { b, fs } = setup();
  await b.start([WAN]);
  await b.takeDown(WAN, 'dead');
  fs.files.set(`${T}/wan/STATUS`, 'disabled\n');
  const rep = await b.reconcile();
  assert.equal(rep.repaired, []);
  assert.is(fs.files.get(`${T}/wan/STATUS`), 'offline\n');
});

test('an unreadable ownership record is logged and replaced by a fresh one', async () => {
  const { b, fs, log, spawner } = setup();
  fs.files.set('/run/wanpulse/owned.json', '{"owned": {"wan"');
  await b.start([WAN]);
  assert.ok(log.lines.some((l) => l.startsWith('warn:') && l.includes('unreadable ownership record')));
  assert.equal(spawner.runs, []);
  assert.equal(JSON.parse(fs.files.get('/run/wanpulse/owned.json')!), { version: 1, backend: 'mwan3', pid: 0, owned: {} });
});

test('no run directory and nothing held: start and stop hand nothing back and log nothing', async () => {
  // a read-only fs stands for a run directory that cannot be created (ENOTDIR, EROFS)
  const { b, log, spawner, signals } = setup(undefined, { fs: new MemoryFs({}, { readOnly: true }) });
  await b.start([WAN]);
  await b.stop();
  assert.equal(log.lines.filter((l) => /^(warn|error):/.test(l)), []);
  assert.equal(spawner.runs, []);
  assert.equal(signals.sent, []);
});

test('procd service list parsing', () => {
  const json = JSON.stringify({ mwan3: { instances: { track_wan: { running: true, pid: 1234 }, track_wan2: { running: false, pid: 99 } } } });
  assert.is(parseServiceList(json, 'wan'), 1234);
  assert.is(parseServiceList(json, 'wan2'), null);
  assert.is(parseServiceList(json, 'wan3'), null);
  assert.is(parseServiceList('{}', 'wan'), null);
  assert.is(parseServiceList('not json', 'wan'), null);
});

test.run();
