// The route backend against the real kernel, in network namespaces this test creates:
//
//   client ── lan0 [gw] up1 ── i1 [inet: sink 10.200.0.10]
//                       up2 ── i2
//
// gw masquerades out of both uplinks and holds the managed default route (a resilient nexthop
// group where the kernel supports it, as here; the classic multipath route is checked last); inet plays
// both ISPs with strict reverse-path filtering (a packet with the wrong uplink's source address is
// dropped, as a real ISP would). The sink prints the source address of every datagram, which
// names the uplink a flow left through. The backend runs here, its `ip`/`conntrack` run in gw.
// gw SNATs to fixed addresses: with `masquerade` the kernel itself kills a conntrack entry whose
// output device changed (and drops that packet), so only SNAT shows what the drain is for.
// A TCP echo server next to the sink reports the source address of every segment it reads, so a
// long-lived TCP connection can be followed across the outage and the recovery too.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InterfaceConfig } from '../../../src/config/types.ts';
import { createRouteBackend } from '../../../src/actions/route/backend.ts';
import type { RouteBackend } from '../../../src/actions/route/backend.ts';
import { memoryLog } from '../../../src/platform/log.ts';
import { nodeClock, nodeFs, nodeSpawner } from '../../../src/platform/node.ts';
import { NEXTHOP_ID_BASE, isOurs } from '../../../src/actions/route/nexthop.ts';
import { NetnsSet, netnsUnavailable, sleep } from '../../net/netns.ts';

const SINK = '10.200.0.10';
const PORT = 9000;
const UP1_ADDR = '10.101.0.1';
const UP2_ADDR = '10.102.0.1';
const METRIC = 10;
const TCP_PORT = 9001;
/** the IPv4 group's id (nexthop.ts) */
const GROUP = NEXTHOP_ID_BASE;
/** small, so the test sees idle buckets move to the recovered uplink within a second or two */
const IDLE_TIMER_S = 1;

// TCP echo server and client, run with `node -e` inside the namespaces; both end by themselves
const tcpServer = `const net = require('node:net');
net.createServer((s) => {
  s.on('data', (d) => { console.log('data ' + s.remoteAddress + ' ' + d.length); s.write(d); });
  s.on('error', (e) => console.log('servererror ' + e.code));
}).listen(${TCP_PORT}, '${SINK}', () => console.log('ready'));
setTimeout(() => process.exit(0), 120000);`;
const tcpClient = (sport: number) => `const net = require('node:net');
const s = net.connect({ host: '${SINK}', port: ${TCP_PORT}, localAddress: '10.0.0.2', localPort: ${sport} });
let n = 0;
s.on('connect', () => { console.log('connected'); setInterval(() => s.write('ping ' + n++ + '\\n'), 50); });
s.on('data', (d) => console.log('echo ' + d.length));
s.on('error', (e) => console.log('error ' + e.code));
s.on('close', () => { console.log('close'); process.exit(0); });
setTimeout(() => process.exit(0), 60000);`;

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
/** what the TCP server and client printed, in order */
const tcpServerLines: string[] = [];
const tcpClientLines: string[] = [];

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
  lab.spawn(inet, [process.execPath, '-e', tcpServer], (line) => tcpServerLines.push(line));
  for (let i = 0; i < 100 && !tcpServerLines.includes('ready'); i++) await sleep(100);
  assert.ok(tcpServerLines.includes('ready'), 'the TCP server did not start');
  backend = makeBackend(true);
}

function makeBackend(resilient: boolean): RouteBackend {
  // drain_on_recovery off: with resilient groups the recovery must not need it
  return createRouteBackend({
    spawner: nodeSpawner, fs: nodeFs, clock: nodeClock, log, runDir: lab.scratch(), table: 'main', metric: METRIC,
    drain: true, drainOnRecovery: false, sysctl: false, resilient: resilient ? { idleTimerS: IDLE_TIMER_S } : false, checkEveryMs: 0,
    ipPath: lab.wrapper(gw, 'ip', 'ip'), conntrackPath: lab.wrapper(gw, 'conntrack', 'conntrack'),
  });
}

/** The nhid of our default route (null: a classic route or none). */
async function routeNhid(): Promise<number | null> {
  const json = JSON.parse(await lab.exec(gw, ['ip', '-j', 'route', 'show', 'table', 'main', 'default'])) as { metric?: number; nhid?: number }[];
  return json.find((r) => (r.metric ?? 0) === METRIC)?.nhid ?? null;
}

/** Our nexthop objects in gw: id → group member ids (empty for a plain nexthop). */
async function ourNexthops(): Promise<Map<number, number[]>> {
  const json = JSON.parse(await lab.exec(gw, ['ip', '-j', 'nexthop', 'list'])) as { id: number; group?: { id: number }[] }[];
  return new Map(json.filter((n) => isOurs(n.id)).map((n) => [n.id, (n.group ?? []).map((m) => m.id)]));
}

/** A source port whose flow the kernel routes through `dev` right now. */
async function sportVia(proto: 'udp' | 'tcp', dport: number, dev: string, from: number): Promise<number> {
  for (let s = from; s < from + 64; s++) {
    const out = await lab.exec(gw, ['ip', 'route', 'get', SINK, 'from', '10.0.0.2', 'iif', 'lan0', 'ipproto', proto, 'sport', String(s), 'dport', String(dport)]);
    if (new RegExp(` dev ${dev} `).test(out)) return s;
  }
  return 0;
}

/** Source addresses the TCP server saw since line `after`. */
const tcpSources = (after: number) => new Set(tcpServerLines.slice(after).filter((l) => l.startsWith('data ')).map((l) => l.split(' ')[1]!));
const tcpEchoes = (after: number) => tcpClientLines.slice(after).filter((l) => l.startsWith('echo ')).length;
const tcpBroken = () => tcpClientLines.some((l) => l.startsWith('error') || l === 'close');

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

let tcpSport = 0;
const streamFrom = (src: string, after: number) => received.slice(after).some((r) => r.src === src && r.payload.startsWith('stream '));

test('setup: start installs one default route over a resilient group of both uplinks, flows use both', async () => {
  if (skip) return;
  await setup();
  await backend.start([up1, up2]);
  assert.equal((await routeDevices()).sort(), ['up1', 'up2']);
  assert.is(await routeNhid(), GROUP, 'the route points at the resilient group');
  assert.equal((await ourNexthops()).get(GROUP)?.length, 2);
  const sources = await flows(42000, 16, 'before');
  assert.equal([...sources].sort(), [UP1_ADDR, UP2_ADDR], 'flows are spread over both uplinks by hash');
});

test('takeDown: new flows leave via the other uplink only, and a running flow is re-routed by the drain', async () => {
  if (skip) return;
  // a long-lived flow whose hash puts it on up1 (the kernel says so for this 5-tuple)
  const sport = await sportVia('udp', PORT, 'up1', 41000);
  assert.ok(sport, 'no source port hashes onto up1');
  // a TCP connection opened during the outage, from a port that hashes onto up1 with both up
  tcpSport = await sportVia('tcp', TCP_PORT, 'up1', 45000);
  assert.ok(tcpSport, 'no TCP source port hashes onto up1');
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
  assert.is(await routeNhid(), GROUP, 'still the group, now of one');
  assert.equal(backend.owned(), ['up1']);
  assert.ok(await until(() => streamFrom(UP2_ADDR, cut)), 'the running stream continues through up2 after the drain');

  const up1Before = await counter('up1');
  const up2Before = await counter('up2');
  const sources = await flows(43000, 16, 'down');
  assert.equal([...sources], [UP2_ADDR]);
  assert.is(await counter('up1'), up1Before, 'nothing leaves through up1 any more');
  assert.ok((await counter('up2')) > up2Before);

  lab.spawn(client, [process.execPath, '-e', tcpClient(tcpSport)], (line) => tcpClientLines.push(line));
  assert.ok(await until(() => tcpEchoes(0) >= 5), 'the TCP connection works during the outage');
  assert.equal([...tcpSources(0)], [UP2_ADDR]);
});

test('the last usable uplink is never taken out of the route', async () => {
  if (skip) return;
  const result = await backend.takeDown(up2, 'test: would be a blackout');
  assert.not.ok(result.ok);
  assert.match(result.error ?? '', /last usable ipv4 uplink/);
  assert.equal(await routeDevices(), ['up2']);
});

test('bringUp: flows moved to up2 in the outage stay there and keep working, new flows use both again', async () => {
  if (skip) return;
  await lab.exec(inet, ['ip', 'link', 'set', 'i1', 'up']);
  // the outage lasted longer than idle_timer: buckets no flow used since can move at once
  await sleep(IDLE_TIMER_S * 1000 + 200);
  const back = received.length;
  const tcpBack = tcpClientLines.length;
  const tcpServerBack = tcpServerLines.length;
  const result = await backend.bringUp(up1, 'test: uplink 1 back');
  assert.ok(result.ok, result.error);
  // no drain: drain_on_recovery is off, and with the group no active flow changes uplink
  assert.equal(result.steps.map((s) => s.step), ['route']);
  assert.equal((await routeDevices()).sort(), ['up1', 'up2']);
  assert.equal(backend.owned(), []);

  // the running UDP stream and TCP connection (hashed onto up1 before the outage) stay on up2
  // for several idle timers and keep working: without the group they would be re-hashed onto
  // up1 with up2's NAT address and dropped by the ISP
  const streamAfter = () => received.slice(back).filter((r) => r.payload.startsWith('stream '));
  assert.ok(await until(() => streamAfter().length >= 150, 8000), `the stream keeps arriving (${streamAfter().length} datagrams)`);
  assert.equal([...new Set(streamAfter().map((r) => r.src))], [UP2_ADDR], 'the stream stays on up2');
  assert.ok(await until(() => tcpEchoes(tcpBack) >= 40, 8000), `the TCP connection keeps working (${tcpEchoes(tcpBack)} echoes)`);
  assert.not.ok(tcpBroken(), `the TCP connection was not reset: ${tcpClientLines.filter((l) => !l.startsWith('echo')).join(', ')}`);
  assert.equal([...tcpSources(tcpServerBack)], [UP2_ADDR], 'the TCP connection stays on up2');

  // new flows reach up1 again (through the buckets that were idle) and up2 still
  const up1Before = await counter('up1');
  const seen = new Set<string>();
  for (let round = 0; round < 10 && seen.size < 2; round++) {
    for (const src of await flows(44000 + round * 16, 16, `after${round}`)) seen.add(src);
    if (seen.size < 2) await sleep(IDLE_TIMER_S * 1000);
  }
  assert.equal([...seen].sort(), [UP1_ADDR, UP2_ADDR], 'new flows use both uplinks');
  assert.ok((await counter('up1')) > up1Before, 'packets leave through up1 again');
});

test('reconcile restores a deleted route, a deleted group and a changed group; stop hands everything back', async () => {
  if (skip) return;
  await lab.exec(gw, ['ip', 'route', 'del', 'default', 'table', 'main', 'metric', String(METRIC)]);
  assert.equal(await routeDevices(), []);
  let report = await backend.reconcile();
  assert.is(report.repaired.length, 1);
  assert.equal((await routeDevices()).sort(), ['up1', 'up2']);
  assert.equal((await backend.reconcile()).repaired, []);

  // deleting the group deletes the route with it
  await lab.exec(gw, ['ip', 'nexthop', 'del', 'id', String(GROUP)]);
  assert.equal(await routeDevices(), []);
  report = await backend.reconcile();
  assert.is(report.repaired.length, 1);
  assert.equal((await routeDevices()).sort(), ['up1', 'up2']);
  assert.is(await routeNhid(), GROUP);

  // someone drops a member from the group
  const members = (await ourNexthops()).get(GROUP)!;
  await lab.exec(gw, ['ip', 'nexthop', 'replace', 'id', String(GROUP), 'group', String(members[1]), 'type', 'resilient']);
  assert.equal(await routeDevices(), ['up2']);
  report = await backend.reconcile();
  assert.is(report.repaired.length, 1);
  assert.equal((await routeDevices()).sort(), ['up1', 'up2']);
  assert.equal((await backend.reconcile()).repaired, []);

  assert.ok((await backend.takeDown(up1, 'test')).ok);
  await backend.stop();
  assert.equal((await routeDevices()).sort(), ['up1', 'up2']);
  assert.is(await routeNhid(), GROUP, 'the route and its group stay after stop');
  assert.equal(backend.owned(), []);
  const left = await ourNexthops();
  assert.equal([...left.keys()].sort(), [GROUP, ...left.get(GROUP)!].sort(), 'no nexthop object of ours is left unused');
});

test('with groups switched off: a classic multipath route replaces the group, which is removed', async () => {
  if (skip) return;
  const classic = makeBackend(false);
  // stopped also when an assertion fails: its ip -batch child would keep this process alive
  try {
    await classic.start([up1, up2]);
    assert.equal((await routeDevices()).sort(), ['up1', 'up2']);
    assert.is(await routeNhid(), null, 'a classic multipath route');
    assert.equal([...(await ourNexthops()).keys()], [], 'the old group and its members are gone');
    assert.ok((await classic.takeDown(up1, 'test')).ok);
    assert.equal(await routeDevices(), ['up2']);
    assert.ok((await classic.bringUp(up1, 'test')).ok);
    assert.equal((await routeDevices()).sort(), ['up1', 'up2']);
  } finally {
    await classic.stop();
  }
});

test.after(async () => {
  if (process.env.VERBOSE) console.log(log.lines.join("\n"));
  await backend?.stop().catch(() => undefined); // ends its ip -batch child if a test failed early
  await lab.destroy();
});

test.run();
