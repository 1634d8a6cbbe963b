// The route backend's switch path against the real kernel and the real `ip -batch`, in network
// namespaces this test creates:
//
//   gw: up1 (10.111.0.1, gateway .2; 2001:db8:111::1, IPv6 device-only)
//       up2 (10.112.0.1, gateway .2; 2001:db8:112::1, gateway ::2)   ── inet
//       up3 (10.113.0.1, device-only)
//
// Route changes go to the long-lived batch children (one plain, one `-6` for the device-only
// IPv6 nexthop) and land in the kernel; a switch in steady state spawns no process (every spawn
// and run through the process port is counted); a killed child and a stopped one (SIGSTOP) are
// survived: the change is made by one spawned ip, the child is restarted, the next switch is
// batched again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InterfaceConfig } from '../../../src/config/types.ts';
import { createRouteBackend, type RouteBackend } from '../../../src/actions/route/backend.ts';
import { NEXTHOP_ID_BASE } from '../../../src/actions/route/nexthop.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import { nodeClock, nodeFs, nodeSpawner } from '../../../src/platform/node.ts';
import type { Spawner } from '../../../src/platform/ports.ts';
import { NetnsSet, netnsUnavailable, sleep } from '../../net/netns.ts';

const METRIC = 10;
const DEADLINE_MS = 300;

function uplink(name: string, device: string, over: Partial<InterfaceConfig> = {}): InterfaceConfig {
  return {
    name, device, deviceKnown: true, family: 'ipv4', trackIps: [], mwan3Id: 0, mark: 0,
    weight: 1, metric: 1, health: {} as InterfaceConfig['health'], ...over,
  };
}
const up1 = uplink('up1', 'up1', { gateway: '10.111.0.2' });
const up2 = uplink('up2', 'up2', { gateway: '10.112.0.2', weight: 2 });
const up3 = uplink('up3', 'up3');
const v6a = uplink('v6a', 'up1', { family: 'ipv6' });
const v6b = uplink('v6b', 'up2', { family: 'ipv6', gateway: '2001:db8:112::2' });
const all = [up1, up2, up3, v6a, v6b];

const skip = await netnsUnavailable(['ip']);
if (skip) console.log(`SKIP: ip -batch namespace tests: ${skip}`);

const lab = new NetnsSet('wpib');
const log = memoryLog();
let gw = '';
let backend: RouteBackend;
/** every process started through the port: argv after the program */
const started: string[] = [];
const counting: Spawner = {
  spawn(argv, o) { started.push(`spawn ${argv.slice(1).join(' ')}`); return nodeSpawner.spawn(argv, o); },
  run(argv, o) { started.push(`run ${argv.slice(1).join(' ')}`); return nodeSpawner.run(argv, o); },
};

async function setup(): Promise<void> {
  gw = await lab.add('gw');
  const inet = await lab.add('in');
  for (const n of ['1', '2', '3']) {
    await lab.exec(gw, ['ip', 'link', 'add', `up${n}`, 'type', 'veth', 'peer', 'name', `i${n}`, 'netns', inet]);
    await lab.exec(gw, ['ip', 'addr', 'add', `10.11${n}.0.1/24`, 'dev', `up${n}`]);
    await lab.exec(gw, ['ip', 'link', 'set', `up${n}`, 'up']);
    await lab.exec(inet, ['ip', 'addr', 'add', `10.11${n}.0.2/24`, 'dev', `i${n}`]);
    await lab.exec(inet, ['ip', 'link', 'set', `i${n}`, 'up']);
  }
  await lab.exec(gw, ['ip', '-6', 'addr', 'add', '2001:db8:111::1/64', 'dev', 'up1', 'nodad']);
  await lab.exec(gw, ['ip', '-6', 'addr', 'add', '2001:db8:112::1/64', 'dev', 'up2', 'nodad']);
  await lab.exec(inet, ['ip', '-6', 'addr', 'add', '2001:db8:112::2/64', 'dev', 'i2', 'nodad']);
}

function makeBackend(resilient: boolean): RouteBackend {
  return createRouteBackend({
    spawner: counting, fs: nodeFs, clock: nodeClock, log, runDir: lab.scratch(), table: 'main', metric: METRIC,
    drain: false, drainOnRecovery: false, sysctl: false, resilient: resilient ? {} : false, checkEveryMs: 0,
    ipPath: lab.wrapper(gw, 'ip', 'ip'), ipBatchDeadlineMs: DEADLINE_MS,
  });
}

/** Devices of the family's default route with our metric: a group's members, or the classic route's nexthops. */
async function routed(family: 'ipv4' | 'ipv6'): Promise<string[]> {
  const f = family === 'ipv6' ? '-6' : '-4';
  const routes = JSON.parse(await lab.exec(gw, ['ip', '-j', f, 'route', 'show', 'table', 'main', 'default'])) as
    { metric?: number; dev?: string; nhid?: number; nexthops?: { dev: string }[] }[];
  // the kernel stores IPv6 metric 0 as 1024; ours is 10 in both
  const r = routes.find((x) => (x.metric ?? 0) === METRIC);
  if (!r) return [];
  if (r.nhid === undefined) return (r.nexthops?.map((h) => h.dev) ?? [r.dev!]).sort();
  const nhs = JSON.parse(await lab.exec(gw, ['ip', '-j', 'nexthop', 'list'])) as { id: number; dev?: string; group?: { id: number }[] }[];
  const byId = new Map(nhs.map((n) => [n.id, n]));
  return (byId.get(r.nhid)?.group ?? []).map((m) => byId.get(m.id)?.dev ?? '?').sort();
}

async function until(pred: () => boolean | Promise<boolean>, maxMs = 5000): Promise<boolean> {
  for (let waited = 0; waited < maxMs; waited += 50) {
    if (await pred()) return true;
    await sleep(50);
  }
  return pred();
}

test.before(async () => { if (!skip) await setup(); });
test.after(async () => {
  await backend?.stop().catch(() => undefined);
  await lab.destroy();
});

test('route changes go through the batch children and land in the kernel; a switch spawns nothing', async () => {
  if (skip) return;
  backend = makeBackend(true);
  await backend.start(all);
  assert.equal(await routed('ipv4'), ['up1', 'up2', 'up3']);
  assert.equal(await routed('ipv6'), ['up1', 'up2']);
  assert.ok(backend.ip.pid(''), 'the batch child runs');
  assert.ok(backend.ip.pid('-6'), 'the -6 batch child runs (device-only IPv6 nexthop)');
  started.length = 0;
  for (const [iface, family, without, withAll] of [
    [up1, 'ipv4', ['up2', 'up3'], ['up1', 'up2', 'up3']],
    [up3, 'ipv4', ['up1', 'up2'], ['up1', 'up2', 'up3']],
    [v6a, 'ipv6', ['up2'], ['up1', 'up2']],
  ] as const) {
    const down = await backend.takeDown(iface, 'test');
    assert.ok(down.ok, down.error);
    assert.equal(await routed(family), [...without], `${iface.name} out`);
    const up = await backend.bringUp(iface, 'test');
    assert.ok(up.ok, up.error);
    assert.equal(await routed(family), [...withAll], `${iface.name} back`);
  }
  assert.equal(started, [], 'no process started for any of the six switches');
  assert.ok(backend.ip.counts.batched >= 6);
  assert.is(backend.ip.counts.spawned, 0);
});

test('an error from the kernel comes back through the batch, which carries on', async () => {
  if (skip) return;
  const pid = backend.ip.pid('');
  const err = await backend.ip.run(['-4', 'nexthop', 'replace', 'id', String(NEXTHOP_ID_BASE + 0xf0), 'via', '10.199.0.1', 'dev', 'up1']);
  assert.match(err ?? '', /^ip -4 nexthop replace id \d+ via 10\.199\.0\.1 dev up1: Error: Nexthop has invalid gateway/);
  assert.is(backend.ip.pid(''), pid, 'the same child');
  assert.is(backend.ip.counts.spawned, 0);
  const nhs = JSON.parse(await lab.exec(gw, ['ip', '-j', 'nexthop', 'list'])) as { id: number }[];
  assert.not.ok(nhs.some((n) => n.id === NEXTHOP_ID_BASE + 0xf0));
});

test('a killed batch child: the next switch still lands (one spawned ip), the child comes back', async () => {
  if (skip) return;
  const pid = backend.ip.pid('')!;
  process.kill(pid, 'SIGKILL');
  assert.ok(await until(() => backend.ip.pid('') === null, 3000), 'the exit is seen');
  started.length = 0;
  const down = await backend.takeDown(up2, 'test');
  assert.ok(down.ok, down.error);
  assert.equal(await routed('ipv4'), ['up1', 'up3']);
  assert.ok(started.some((s) => s.startsWith('run nexthop replace')), `fell back to a spawned ip: ${started.join('; ')}`);
  assert.ok(await until(() => backend.ip.pid('') !== null, 5000), 'restarted');
  assert.is.not(backend.ip.pid(''), pid);
  assert.match(log.lines.join('\n'), /-batch killed by SIGKILL; restarting it/);
  started.length = 0;
  const up = await backend.bringUp(up2, 'test');
  assert.ok(up.ok, up.error);
  assert.equal(await routed('ipv4'), ['up1', 'up2', 'up3']);
  assert.equal(started.filter((s) => !s.startsWith('spawn')), [], 'batched again');
});

test('a stopped batch child (SIGSTOP) is found by the deadline; the switch lands by a spawned ip', async () => {
  if (skip) return;
  const pid = backend.ip.pid('')!;
  process.kill(pid, 'SIGSTOP');
  started.length = 0;
  const t0 = performance.now();
  const down = await backend.takeDown(up1, 'test');
  const took = performance.now() - t0;
  assert.ok(down.ok, down.error);
  assert.equal(await routed('ipv4'), ['up2', 'up3']);
  assert.ok(took >= DEADLINE_MS, `waited for the deadline (${Math.round(took)} ms)`);
  assert.match(log.lines.join('\n'), /gave no answer within 300 ms: killed/);
  assert.ok(started.some((s) => s.startsWith('run ')), 'spawned');
  assert.ok(await until(() => backend.ip.pid('') !== null && backend.ip.pid('') !== pid, 5000), 'restarted');
  started.length = 0;
  const up = await backend.bringUp(up1, 'test');
  assert.ok(up.ok, up.error);
  assert.equal(await routed('ipv4'), ['up1', 'up2', 'up3']);
  assert.equal(started.filter((s) => !s.startsWith('spawn')), []);
});

test('the classic multipath route is switched through the batch too; stop ends the children', async () => {
  if (skip) return;
  const pids = [backend.ip.pid(''), backend.ip.pid('-6')];
  await backend.stop();
  for (const pid of pids) assert.ok(await until(() => { try { process.kill(pid!, 0); return false; } catch { return true; } }, 3000), `child ${pid} ended`);
  backend = makeBackend(false);
  await backend.start([up1, up2]);
  assert.equal(await routed('ipv4'), ['up1', 'up2']);
  started.length = 0;
  assert.ok((await backend.takeDown(up1, 'test')).ok);
  assert.equal(await routed('ipv4'), ['up2']);
  assert.ok((await backend.bringUp(up1, 'test')).ok);
  assert.equal(await routed('ipv4'), ['up1', 'up2']);
  assert.equal(started, []);
});

test.run();
