// The route backend against a fake `ip`/`conntrack` that keeps a kernel route in memory.
// The real kernel is exercised in route-backend.net.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InterfaceConfig } from '../../../src/config/types.ts';
import type { RunResult } from '../../../src/platform/ports.ts';
import { createRouteBackend } from '../../../src/actions/route/backend.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import { FakeClock } from '../../fakes/clock.ts';
import { FakeSpawner } from '../../fakes/spawner.ts';
import { MemoryFs } from '../../fakes/fs.ts';

function uplink(name: string, device: string, gateway: string, over: Partial<InterfaceConfig> = {}): InterfaceConfig {
  return {
    name, device, gateway, deviceKnown: true, family: 'ipv4', trackIps: [], mwan3Id: 0, mark: 0,
    weight: 1, metric: 1, health: {} as InterfaceConfig['health'], ...over,
  };
}

const wan = uplink('wan', 'eth1', '192.0.2.1');
const wanb = uplink('wanb', 'eth2', '198.51.100.1', { weight: 2 });
const lte = uplink('lte', 'wwan0', '203.0.113.1', { metric: 5 });
const addrs: Record<string, string> = { eth1: '192.0.2.10', eth2: '198.51.100.10', wwan0: '203.0.113.10' };

const memoryFs = (events: string[]) => new MemoryFs({}, { onWrite: (p) => events.push(`write ${p}`) });

const ok = (stdout = '', stderr = ''): RunResult => ({ code: 0, signal: null, stdout, stderr });

/** Fake kernel: one default route (table 100, metric 10) as nexthop strings. */
function setup(opts: { failReplace?: boolean } = {}) {
  const events: string[] = [];
  let route: { hops: { dev: string; via: string; weight: number }[] } | null = null;
  const spawner = new FakeSpawner((argv) => {
    events.push(argv.join(' '));
    const [bin, ...args] = argv;
    if (bin === 'conntrack') return { code: 0, signal: null, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 4 flow entries have been deleted.\n' };
    if (args.includes('addr')) {
      const dev = args[args.length - 1]!;
      return ok(JSON.stringify([{ ifname: dev, addr_info: [{ family: 'inet', local: addrs[dev], scope: 'global' }, { family: 'inet6', local: 'fe80::1', scope: 'link' }] }]));
    }
    if (args.includes('replace')) {
      if (opts.failReplace) return { code: 2, signal: null, stdout: '', stderr: 'Error: Nexthop has invalid gateway.\n' };
      const hops: { dev: string; via: string; weight: number }[] = [];
      for (let i = 0; i < args.length; i++) {
        if (args[i] === 'via') hops.push({ via: args[i + 1]!, dev: args[i + 3]!, weight: 1 });
        if (args[i] === 'weight') hops[hops.length - 1]!.weight = Number(args[i + 1]);
      }
      route = { hops };
      return ok();
    }
    if (args.includes('show')) {
      if (!route) return { code: 2, signal: null, stdout: '', stderr: 'Error: ipv4: FIB table does not exist.\n' };
      const r = route.hops.length === 1
        ? { dst: 'default', gateway: route.hops[0]!.via, dev: route.hops[0]!.dev, metric: 10 }
        : { dst: 'default', metric: 10, nexthops: route.hops.map((h) => ({ gateway: h.via, dev: h.dev, weight: h.weight })) };
      return ok(JSON.stringify([r]));
    }
    return { code: 1, signal: null, stdout: '', stderr: 'unexpected' };
  });
  const fs = memoryFs(events);
  const log = memoryLog();
  const clock = new FakeClock();
  const make = (over: { drainOnRecovery?: boolean; sysctl?: boolean; checkEveryMs?: number } = {}) => createRouteBackend({
    spawner, fs, clock, log, runDir: '/run/wp', table: '100', metric: 10, drain: true,
    drainOnRecovery: over.drainOnRecovery ?? false, sysctl: over.sysctl ?? false, pid: 42, checkEveryMs: over.checkEveryMs ?? 0,
    // the commands as spawned: the batch child is covered by ip-batch.test.ts and the namespace tests
    ipBatch: false,
  });
  const devs = () => (route ? route.hops.map((h) => `${h.dev}:${h.weight}`) : []);
  const record = () => Object.keys((JSON.parse(fs.files.get('/run/wp/route-owned.json') ?? '{"owned":{}}') as { owned: object }).owned);
  return { events, spawner, fs, log, clock, make, devs, record, setRoute: (hops: { dev: string; via: string; weight: number }[]) => { route = { hops }; } };
}

test('start installs the preferred tier, sets L4 hashing and puts back what a crashed run left out', async () => {
  const t = setup();
  t.fs.files.set('/run/wp/route-owned.json', JSON.stringify({ version: 1, backend: 'route', pid: 7, owned: { wan: { since: 1, device: 'eth1', mark: 0 } } }));
  const backend = t.make({ sysctl: true });
  await backend.start([wan, wanb, lte]);
  assert.equal(t.devs(), ['eth1:1', 'eth2:2']);
  assert.is(t.fs.files.get('/proc/sys/net/ipv4/fib_multipath_hash_policy'), '1\n');
  assert.not.ok(t.fs.files.has('/proc/sys/net/ipv6/fib_multipath_hash_policy'));
  assert.equal(t.record(), []);
  assert.equal(backend.owned(), []);
  assert.ok(t.log.lines.some((l) => l.startsWith('warn:') && l.includes('pid 7') && l.includes('wan')));
});

test('no run directory: start installs the route without an error (the daemon warns once), takeDown refuses', async () => {
  const t = setup();
  t.fs.mkdirp = async () => { throw Object.assign(new Error('ENOTDIR: not a directory'), { code: 'ENOTDIR' }); };
  const writeText = t.fs.writeAtomic.bind(t.fs);
  t.fs.writeAtomic = async (p, text) => { if (p.startsWith('/run/wp/')) throw new Error('ENOTDIR'); return writeText(p, text); };
  const backend = t.make();
  await backend.start([wan, wanb, lte]);
  assert.equal(t.devs(), ['eth1:1', 'eth2:2']);
  assert.equal(t.log.lines.filter((l) => l.startsWith('error:')), []);
  const r = await backend.takeDown(wan, 'lost 3 rounds');
  assert.not.ok(r.ok, 'nothing is taken out while the ownership record cannot be written');
  assert.equal(t.devs(), ['eth1:1', 'eth2:2']);
});

test('takeDown records ownership first, swaps the route, then drains the uplink by its address (looked up at start)', async () => {
  const t = setup();
  const backend = t.make();
  await backend.start([wan, wanb, lte]);
  assert.ok(t.events.includes('ip -j -4 addr show dev eth1'), 'start looks the addresses up');
  t.events.length = 0;
  const r = await backend.takeDown(wan, 'lost 3 rounds');
  assert.ok(r.ok, r.error);
  assert.equal(r.steps.map((s) => s.step), ['route', 'drain']);
  assert.equal(t.devs(), ['eth2:1']);
  assert.equal(t.events, [
    'write /run/wp/route-owned.json',
    'ip -4 route replace default table 100 metric 10 via 198.51.100.1 dev eth2',
    // nothing between the route change and the drain; the address is checked after it
    'conntrack -D -f ipv4 --reply-dst 192.0.2.10',
    'ip -j -4 addr show dev eth1',
  ]);
  assert.equal(t.record(), ['wan']);
  assert.ok(t.log.lines.some((l) => l.includes('drained 4 flows')));
  // again: already out, nothing to do
  t.events.length = 0;
  assert.ok((await backend.takeDown(wan, 'still lost')).ok);
  assert.equal(t.events, []);
});

test('the backup tier takes over, and the last usable uplink is never taken out', async () => {
  const t = setup();
  const backend = t.make();
  await backend.start([wan, wanb, lte]);
  await backend.takeDown(wan, 'x');
  await backend.takeDown(wanb, 'x');
  assert.equal(t.devs(), ['wwan0:1']);
  t.events.length = 0;
  const r = await backend.takeDown(lte, 'x');
  assert.not.ok(r.ok);
  assert.match(r.error ?? '', /last usable ipv4 uplink/);
  assert.equal(t.events, []);
  assert.equal(t.devs(), ['wwan0:1']);
  assert.equal(backend.owned().sort(), ['wan', 'wanb']);
});

test('parallel takeDowns of two uplinks both leave the route', async () => {
  const t = setup();
  const backend = t.make();
  const third = uplink('wanc', 'eth3', '192.0.2.129');
  await backend.start([wan, wanb, third]);
  const [a, b] = await Promise.all([backend.takeDown(wan, 'x'), backend.takeDown(wanb, 'y')]);
  assert.ok(a.ok && b.ok);
  assert.equal(t.devs(), ['eth3:1']);
});

test('a refused route change fails the switchover and leaves no ownership behind', async () => {
  const t = setup({ failReplace: true });
  const backend = t.make();
  await backend.start([wan, wanb]);
  assert.ok(t.log.lines.some((l) => l.startsWith('error:') && l.includes('invalid gateway')));
  const r = await backend.takeDown(wan, 'x');
  assert.not.ok(r.ok);
  assert.match(r.error ?? '', /invalid gateway/);
  assert.equal(backend.owned(), []);
  assert.equal(t.record(), []);
});

test('bringUp puts the uplink back and, with drainOnRecovery, drains the other uplinks', async () => {
  const t = setup();
  const backend = t.make({ drainOnRecovery: true });
  await backend.start([wan, wanb, lte]);
  await backend.takeDown(wan, 'x');
  t.events.length = 0;
  const r = await backend.bringUp(wan, 'recovered');
  assert.ok(r.ok, r.error);
  assert.equal(r.steps.map((s) => s.step), ['route', 'drain']);
  assert.equal(t.devs(), ['eth1:1', 'eth2:2']);
  assert.equal(t.record(), []);
  assert.ok(t.events.includes('conntrack -D -f ipv4 --reply-dst 198.51.100.10'));
  assert.ok(t.events.includes('conntrack -D -f ipv4 --reply-dst 203.0.113.10'));
  assert.not.ok(t.events.includes('conntrack -D -f ipv4 --reply-dst 192.0.2.10'));
  // not owned: nothing to do
  t.events.length = 0;
  assert.equal(await backend.bringUp(wan, 'again'), { ok: true, steps: [] });
  assert.equal(t.events, []);
});

test('reconcile re-applies a route someone else changed, and leaves a correct one alone', async () => {
  const t = setup();
  const backend = t.make();
  await backend.start([wan, wanb]);
  await backend.takeDown(wan, 'x');
  t.events.length = 0;
  assert.equal(await backend.reconcile(), { offlineByMwan3: [], repaired: [] });
  assert.equal(t.events, ['ip -j -4 route show table 100 default']);
  t.setRoute([{ dev: 'eth1', via: '192.0.2.1', weight: 1 }, { dev: 'eth2', via: '198.51.100.1', weight: 2 }]);
  const report = await backend.reconcile();
  assert.is(report.repaired.length, 1);
  assert.match(report.repaired[0]!, /was via 192.0.2.1 dev eth1 weight 1, via 198.51.100.1 dev eth2 weight 2, now via 198.51.100.1 dev eth2/);
  assert.equal(t.devs(), ['eth2:1']);
});

test('reconcile reads the kernel without the lock: a switchover never waits behind it, and a stale finding is not applied', async () => {
  const t = setup();
  const backend = t.make();
  await backend.start([wan, wanb]);
  t.setRoute([{ dev: 'eth1', via: '192.0.2.1', weight: 1 }]); // someone changed the route
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const run = t.spawner.run.bind(t.spawner);
  t.spawner.run = async (argv, o) => {
    const r = await run(argv, o);
    if (argv.includes('show') && argv.includes('route')) await gate; // reconcile's read is slow
    return r;
  };
  const reconciling = backend.reconcile();
  await new Promise((r) => setTimeout(r, 10));
  const down = await Promise.race([backend.takeDown(wan, 'lost'), new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
  assert.ok(down?.ok, 'the switchover did not wait for the reconcile read');
  assert.equal(t.devs(), ['eth2:1']);
  release();
  assert.equal((await reconciling).repaired, [], 'the finding from before the switchover is not applied');
  assert.equal(t.devs(), ['eth2:1']);
  t.spawner.run = run;
  assert.equal((await backend.reconcile()).repaired, [], 'the next round finds the route as planned');
});

test('reconcile reads the kernel route at most every 5 s (each read spawns ip)', async () => {
  const t = setup();
  const backend = t.make({ checkEveryMs: 5000 });
  await backend.start([wan, wanb]);
  t.events.length = 0;
  await backend.reconcile();
  await backend.reconcile();
  t.clock.advance(4999);
  await backend.reconcile();
  assert.equal(t.events, ['ip -j -4 route show table 100 default']);
  t.clock.advance(1);
  await backend.reconcile();
  assert.is(t.events.length, 2);
});

test('stop puts every owned uplink back and clears the record', async () => {
  const t = setup();
  const backend = t.make();
  await backend.start([wan, wanb, lte]);
  await backend.takeDown(wan, 'x');
  await backend.takeDown(wanb, 'x');
  await backend.stop();
  assert.equal(t.devs(), ['eth1:1', 'eth2:2']);
  assert.equal(t.record(), []);
  assert.equal(backend.owned(), []);
});

/** A fake `ip` that knows nexthop objects and resilient groups (the kernel path, ≥ 5.13). */
function setupGroups() {
  const events: string[] = [];
  const objs = new Map<number, { dev?: string; via?: string; group?: { id: number; weight: number }[] }>();
  let nhid: number | null = null;
  const spawner = new FakeSpawner((argv) => {
    events.push(argv.slice(1).join(' '));
    const args = argv.slice(1).filter((a) => a !== '-4' && a !== '-6' && a !== '-j');
    if (argv[0] === 'conntrack') return { code: 1, signal: null, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n' };
    if (args[0] === 'addr') return ok(JSON.stringify([{ addr_info: [{ family: 'inet', local: addrs[args[args.length - 1]!], scope: 'global' }] }]));
    if (args[0] === 'nexthop' && args[1] === 'list') {
      return ok(JSON.stringify([...objs].map(([id, o]) => (o.group
        ? { id, group: o.group.map((m) => ({ id: m.id, weight: m.weight })), type: 'resilient', resilient_args: { buckets: 128, idle_timer: 30, unbalanced_timer: 0 } }
        : { id, dev: o.dev, gateway: o.via }))));
    }
    if (args[0] === 'nexthop' && args[1] === 'replace') {
      const id = Number(args[3]);
      const at = (k: string) => (args.includes(k) ? args[args.indexOf(k) + 1] : undefined);
      if (at('group')) {
        const group = at('group')!.split('/').map((x) => ({ id: Number(x.split(',')[0]), weight: Number(x.split(',')[1] ?? 1) }));
        if (group.some((m) => !objs.has(m.id))) return { code: 2, signal: null, stdout: '', stderr: 'Error: Invalid nexthop id.\n' };
        objs.set(id, { group });
      } else objs.set(id, { dev: at('dev'), via: at('via') });
      return ok();
    }
    if (args[0] === 'nexthop' && args[1] === 'del') { objs.delete(Number(args[3])); return ok(); }
    if (args[0] === 'route' && args[1] === 'replace') { nhid = Number(args[args.indexOf('nhid') + 1]); return ok(); }
    if (args[0] === 'route' && args[1] === 'show') return ok(JSON.stringify(nhid === null ? [] : [{ dst: 'default', nhid, metric: 10 }]));
    return { code: 1, signal: null, stdout: '', stderr: 'unexpected' };
  });
  const log = memoryLog();
  const backend = createRouteBackend({
    spawner, fs: memoryFs([]), clock: new FakeClock(), log, runDir: '/run/wp', table: '100', metric: 10, drain: true,
    drainOnRecovery: true, sysctl: false, pid: 42, checkEveryMs: 0, ipBatch: false,
  });
  const group = () => (nhid === null ? [] : (objs.get(nhid)?.group ?? []).map((m) => `${objs.get(m.id)?.dev}:${m.weight}`));
  return { events, objs, log, backend, group, dropRoute: () => { nhid = null; } };
}

const G = 0x5750_0000;

test('groups: the route points at a resilient group; take down and bring back replace the group only', async () => {
  const t = setupGroups();
  await t.backend.start([wan, wanb, lte]);
  assert.equal(t.group(), ['eth1:1', 'eth2:2']);
  assert.ok(t.log.lines.some((l) => l.includes('resilient nexthop group (buckets 128, idle_timer 30s')));
  assert.ok(t.log.lines.some((l) => l.includes('drain_on_recovery is not needed')));
  assert.not.ok(t.objs.has(G + 0xfe) || t.objs.has(G + 0xff), 'the probe cleans up after itself');
  t.events.length = 0;
  assert.ok((await t.backend.takeDown(wan, 'x')).ok);
  assert.equal(t.group(), ['eth2:2']);
  assert.equal(t.events.slice(0, 2), [
    `nexthop replace id ${G} group ${G + 2},2 type resilient buckets 128 idle_timer 30 unbalanced_timer 0`,
    `-4 route replace default nhid ${G} table 100 metric 10`,
  ]);
  t.events.length = 0;
  const r = await t.backend.bringUp(wan, 'back');
  assert.ok(r.ok, r.error);
  // active flows stay on their uplink: no drain of the others despite drain_on_recovery
  assert.equal(r.steps.map((s) => s.step), ['route']);
  assert.not.ok(t.events.some((e) => e.startsWith('conntrack') || e.includes('addr show')));
  assert.equal(t.group(), ['eth1:1', 'eth2:2']);
});

test('groups: a backup tier handing back is drained; a vanished member is recreated', async () => {
  const t = setupGroups();
  await t.backend.start([wan, wanb, lte]);
  await t.backend.takeDown(wan, 'x');
  // the kernel deletes the nexthop of a device that lost carrier
  t.objs.delete(G + 2);
  t.objs.set(G, { group: [] });
  assert.ok((await t.backend.takeDown(wanb, 'x')).ok);
  assert.equal(t.group(), ['wwan0:1']);
  t.events.length = 0;
  const r = await t.backend.bringUp(wanb, 'back');
  assert.ok(r.ok, r.error);
  assert.equal(t.group(), ['eth2:2']);
  assert.equal(r.steps.map((s) => s.step), ['route', 'drain']);
  assert.ok(t.events.includes('-j -4 addr show dev wwan0'));
});

test('groups: reconcile re-creates a deleted route or group; stop keeps the group with every uplink', async () => {
  const t = setupGroups();
  await t.backend.start([wan, wanb]);
  await t.backend.takeDown(wan, 'x');
  assert.equal((await t.backend.reconcile()).repaired, []);
  t.dropRoute();
  t.objs.clear();
  const report = await t.backend.reconcile();
  assert.is(report.repaired.length, 1);
  assert.equal(t.group(), ['eth2:2']);
  await t.backend.stop();
  assert.equal(t.group(), ['eth1:1', 'eth2:2']);
  assert.equal([...t.objs.keys()].sort(), [G, G + 1, G + 2]);
});

test('no resilient groups (old kernel, BusyBox ip): the classic route, logged once', async () => {
  const t = setup();
  const backend = t.make();
  await backend.start([wan, wanb]);
  assert.equal(t.devs(), ['eth1:1', 'eth2:2']);
  assert.is(t.log.lines.filter((l) => l.includes('resilient nexthop groups are not available')).length, 1);
  assert.ok(t.events.some((e) => e.includes('nexthop list')));
});

test.run();
