// The route backend against the real kernel, in network namespaces this test creates:
//
//   client ── lan0 [gw] up1 ── i1 [inet: sink 10.200.0.10]
//                       up2 ── i2
//
// gw masquerades out of both uplinks and holds the managed multipath default route; inet plays
// both ISPs with strict reverse-path filtering (a packet with the wrong uplink's source address is
// dropped, as a real ISP would). The sink prints the source address of every datagram, which
// names the uplink a flow left through. The backend runs here, its `ip`/`conntrack` run in gw.
// gw SNATs to fixed addresses: with `masquerade` the kernel itself kills a conntrack entry whose
// output device changed (and drops that packet), so only SNAT shows what the drain is for.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InterfaceConfig } from '../../src/config/types.ts';
import { createRouteBackend } from '../../src/actions/route-backend.ts';
import type { RouteBackend } from '../../src/actions/route-backend.ts';
import { memoryLog } from '../../src/platform/log.ts';
import { nodeClock, nodeFs, nodeSpawner } from '../../src/platform/node.ts';
import { NetnsSet, netnsUnavailable, sleep } from '../net/netns.ts';

const SINK = '10.200.0.10';
const PORT = 9000;
const UP1_ADDR = '10.101.0.1';
const UP2_ADDR = '10.102.0.1';
const METRIC = 10;

function uplink(name: string, gateway: string): InterfaceConfig {
  return {
    name, device: name, gateway, deviceKnown: true, family: 'ipv4', trackIps: [], mwan3Id: 0, mark: 0,
    weight: 1, metric: 1, health: {} as InterfaceConfig['health'],
  };
}
const up1 = uplink('up1', '10.101.0.2');
const up2 = uplink('up2', '10.102.0.2');

const skip = await netnsUnavailable(['ip', 'nft', 'conntrack']);
if (skip) console.log(`SKIP: route backend namespace tests: ${skip}`);

const lab = new NetnsSet('wprb');
const log = memoryLog();
let gw = '';
let client = '';
let inet = '';
let backend: RouteBackend;
/** datagrams the sink received: payload → source addresses seen, in order */
const received: { src: string; payload: string }[] = [];

async function setup(): Promise<void> {
  gw = await lab.add('gw');
  client = await lab.add('cl');
  inet = await lab.add('in');
  await lab.exec(gw, ['ip', 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'c0', 'netns', client]);
  await lab.exec(gw, ['ip', 'link', 'add', 'up1', 'type', 'veth', 'peer', 'name', 'i1', 'netns', inet]);
  await lab.exec(gw, ['ip', 'link', 'add', 'up2', 'type', 'veth', 'peer', 'name', 'i2', 'netns', inet]);
  const cmds: [string, string[]][] = [
    [client, ['ip', 'addr', 'add', '10.0.0.2/24', 'dev', 'c0']],
    [client, ['ip', 'link', 'set', 'c0', 'up']],
    [client, ['ip', 'route', 'add', 'default', 'via', '10.0.0.1']],
    [gw, ['ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'lan0']],
    [gw, ['ip', 'addr', 'add', `${UP1_ADDR}/24`, 'dev', 'up1']],
    [gw, ['ip', 'addr', 'add', `${UP2_ADDR}/24`, 'dev', 'up2']],
    [gw, ['ip', 'link', 'set', 'lan0', 'up']],
    [gw, ['ip', 'link', 'set', 'up1', 'up']],
    [gw, ['ip', 'link', 'set', 'up2', 'up']],
    [inet, ['ip', 'addr', 'add', '10.101.0.2/24', 'dev', 'i1']],
    [inet, ['ip', 'addr', 'add', '10.102.0.2/24', 'dev', 'i2']],
    [inet, ['ip', 'addr', 'add', `${SINK}/32`, 'dev', 'lo']],
    [inet, ['ip', 'link', 'set', 'i1', 'up']],
    [inet, ['ip', 'link', 'set', 'i2', 'up']],
    // the backend runs outside gw, so the hash policy it would write is set here (unit-tested there)
    [gw, ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.fib_multipath_hash_policy=1',
      'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']],
    [inet, ['sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=1', 'net.ipv4.conf.default.rp_filter=1']],
  ];
  for (const [ns, argv] of cmds) await lab.exec(ns, argv);
  await lab.exec(gw, ['nft', '-f', '-'], [
    'table ip wpnat {',
    '  chain post {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname "up1" snat to ${UP1_ADDR}`,
    `    oifname "up2" snat to ${UP2_ADDR}`,
    '  }',
    '}',
    'table ip wpcount {',
    '  counter up1 { }',
    '  counter up2 { }',
    '  chain post {',
    '    type filter hook postrouting priority filter; policy accept;',
    `    oifname "up1" udp dport ${PORT} counter name "up1"`,
    `    oifname "up2" udp dport ${PORT} counter name "up2"`,
    '  }',
    '}',
    '',
  ].join('\n'));
  let ready = false;
  lab.spawn(inet, [process.execPath, '--import', 'tsx', 'test/net/udp-tool.ts', 'sink', SINK, String(PORT), '120'], (line) => {
    if (line === 'ready') { ready = true; return; }
    const [src, , ...payload] = line.split(' ');
    received.push({ src: src!, payload: payload.join(' ') });
  });
  for (let i = 0; i < 100 && !ready; i++) await sleep(100);
  assert.ok(ready, 'the sink did not start');
  backend = createRouteBackend({
    spawner: nodeSpawner, fs: nodeFs, clock: nodeClock, log, runDir: lab.scratch(), table: 'main', metric: METRIC,
    drain: true, drainOnRecovery: true, sysctl: false,
    ipPath: lab.wrapper(gw, 'ip', 'ip'), conntrackPath: lab.wrapper(gw, 'conntrack', 'conntrack'),
  });
}

async function routeDevices(): Promise<string[]> {
  const json = JSON.parse(await lab.exec(gw, ['ip', '-j', 'route', 'show', 'table', 'main', 'default'])) as
    { metric?: number; dev?: string; nexthops?: { dev: string }[] }[];
  const ours = json.find((r) => (r.metric ?? 0) === METRIC);
  return ours ? (ours.nexthops?.map((h) => h.dev) ?? [ours.dev!]) : [];
}

async function counter(name: 'up1' | 'up2'): Promise<number> {
  const out = JSON.parse(await lab.exec(gw, ['nft', '-j', 'list', 'counter', 'ip', 'wpcount', name])) as { nftables: { counter?: { packets: number } }[] };
  return out.nftables.find((x) => x.counter)?.counter?.packets ?? 0;
}

/** Opens `count` UDP flows from consecutive source ports; returns the uplink addresses the sink saw. */
async function flows(firstSport: number, count: number, tag: string): Promise<Set<string>> {
  await lab.exec(client, [process.execPath, '--import', 'tsx', 'test/net/udp-tool.ts', 'burst', SINK, String(PORT), String(firstSport), String(count), tag]);
  const seen = () => new Set(received.filter((r) => r.payload.startsWith(`${tag} `)).map((r) => r.payload));
  for (let i = 0; i < 30 && seen().size < count; i++) await sleep(100);
  return new Set(received.filter((r) => r.payload.startsWith(`${tag} `)).map((r) => r.src));
}

/** Waits (bounded) until `pred` holds for what the sink received. */
async function until(pred: () => boolean, maxMs = 5000): Promise<boolean> {
  for (let waited = 0; waited < maxMs && !pred(); waited += 50) await sleep(50);
  return pred();
}

const streamFrom = (src: string, after: number) => received.slice(after).some((r) => r.src === src && r.payload.startsWith('stream '));

test('setup: start installs one multipath default route over both uplinks, flows use both', async () => {
  if (skip) return;
  await setup();
  await backend.start([up1, up2]);
  assert.equal((await routeDevices()).sort(), ['up1', 'up2']);
  const sources = await flows(42000, 16, 'before');
  assert.equal([...sources].sort(), [UP1_ADDR, UP2_ADDR], 'flows are spread over both uplinks by hash');
});

test('takeDown: new flows leave via the other uplink only, and a running flow is re-routed by the drain', async () => {
  if (skip) return;
  // a long-lived flow whose hash puts it on up1 (the kernel says so for this 5-tuple)
  let sport = 0;
  for (let s = 41000; s < 41064 && !sport; s++) {
    const out = await lab.exec(gw, ['ip', 'route', 'get', SINK, 'from', '10.0.0.2', 'iif', 'lan0', 'ipproto', 'udp', 'sport', String(s), 'dport', String(PORT)]);
    if (/ dev up1 /.test(out)) sport = s;
  }
  assert.ok(sport, 'no source port hashes onto up1');
  const mark = received.length;
  lab.spawn(client, [process.execPath, '--import', 'tsx', 'test/net/udp-tool.ts', 'stream', SINK, String(PORT), String(sport), '20', '60'], () => undefined);
  assert.ok(await until(() => streamFrom(UP1_ADDR, mark)), 'the stream first runs over up1');

  // uplink 1 dies at the ISP side; wanpulse takes it out
  await lab.exec(inet, ['ip', 'link', 'set', 'i1', 'down']);
  const cut = received.length;
  const result = await backend.takeDown(up1, 'test: uplink 1 cut');
  assert.ok(result.ok, result.error);
  assert.equal(result.steps.map((s) => s.step), ['route', 'drain']);
  assert.equal(await routeDevices(), ['up2']);
  assert.equal(backend.owned(), ['up1']);
  assert.ok(await until(() => streamFrom(UP2_ADDR, cut)), 'the running stream continues through up2 after the drain');

  const up1Before = await counter('up1');
  const up2Before = await counter('up2');
  const sources = await flows(43000, 16, 'down');
  assert.equal([...sources], [UP2_ADDR]);
  assert.is(await counter('up1'), up1Before, 'nothing leaves through up1 any more');
  assert.ok((await counter('up2')) > up2Before);
});

test('the last usable uplink is never taken out of the route', async () => {
  if (skip) return;
  const result = await backend.takeDown(up2, 'test: would be a blackout');
  assert.not.ok(result.ok);
  assert.match(result.error ?? '', /last usable ipv4 uplink/);
  assert.equal(await routeDevices(), ['up2']);
});

test('bringUp: both uplinks carry new flows again; the drain on recovery moves the running flow back', async () => {
  if (skip) return;
  await lab.exec(inet, ['ip', 'link', 'set', 'i1', 'up']);
  const back = received.length;
  const result = await backend.bringUp(up1, 'test: uplink 1 back');
  assert.ok(result.ok, result.error);
  assert.equal(result.steps.map((s) => s.step), ['route', 'drain']);
  assert.equal((await routeDevices()).sort(), ['up1', 'up2']);
  assert.equal(backend.owned(), []);
  // the stream's hash puts it on up1 again; without the drain it would leave up1 with up2's
  // address and be dropped by the ISP's reverse-path filter
  assert.ok(await until(() => streamFrom(UP1_ADDR, back)), 'the running stream is back on up1');
  const sources = await flows(44000, 16, 'after');
  assert.equal([...sources].sort(), [UP1_ADDR, UP2_ADDR]);
});

test('reconcile restores a route someone deleted; stop hands everything back', async () => {
  if (skip) return;
  await lab.exec(gw, ['ip', 'route', 'del', 'default', 'table', 'main', 'metric', String(METRIC)]);
  assert.equal(await routeDevices(), []);
  const report = await backend.reconcile();
  assert.is(report.repaired.length, 1);
  assert.equal((await routeDevices()).sort(), ['up1', 'up2']);
  assert.equal((await backend.reconcile()).repaired, []);

  assert.ok((await backend.takeDown(up1, 'test')).ok);
  await backend.stop();
  assert.equal((await routeDevices()).sort(), ['up1', 'up2']);
  assert.equal(backend.owned(), []);
});

test.after(async () => {
  await lab.destroy();
});

test.run();
