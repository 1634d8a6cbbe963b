import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMqttPublisher } from '../../src/mqtt/publisher.ts';
import type { MqttConfig, PolicyConfig } from '../../src/config/types.ts';
import { MemoryFs } from '../fakes/fs.ts';
import { memoryLog } from '../../src/platform/log.ts';
import { FakeClock } from '../fakes/clock.ts';
import { FakeBroker, advance, settle } from './fake-broker.ts';
import { T0, snapshot, uplink } from './sample.ts';

const policies: PolicyConfig[] = [{ name: 'balanced', members: [{ iface: 'wg0', metric: 1, weight: 1 }, { iface: 'wg1', metric: 1, weight: 1 }] }];

const memFs = (files: Record<string, string> = {}) => new MemoryFs(files);

function config(over: Partial<MqttConfig> = {}): MqttConfig {
  return {
    enabled: true, host: '127.0.0.1', port: 1883, tls: false, tlsInsecure: false, clientId: 'wanpulse-r1',
    baseTopic: 'wanpulse/r1', discovery: true, discoveryPrefix: 'homeassistant', publishIntervalMs: 30_000, keepaliveS: 30,
    ...over,
  };
}

function setup(over: Partial<MqttConfig> = {}, files: Record<string, string> = {}) {
  const clock = new FakeClock();
  const broker = new FakeBroker();
  const log = memoryLog();
  const pub = createMqttPublisher({ net: broker, clock, log, fs: memFs(files), random: () => 1 }, config(over), { version: '0.1.0', routerId: 'r1', policies });
  return { clock, broker, log, pub };
}

const kind = (topic: string) => topic.startsWith('homeassistant/') ? 'discovery' : topic.replace('wanpulse/r1/', '');

test('order on connect: status online, discovery configs, states, then subscribe to homeassistant/status', async () => {
  const { broker, pub } = setup();
  pub.publishStatus(snapshot([uplink('wg0'), uplink('wg1')]));
  pub.start();
  await settle();
  const order = broker.received.filter((r) => r.packet.cmd === 'publish' || r.packet.cmd === 'subscribe').map((r) =>
    r.packet.cmd === 'subscribe' ? `subscribe ${r.packet.subscriptions[0]!.topic}` : kind((r.packet as { topic: string }).topic));
  assert.equal(order, [
    'status',
    ...Array(4 * 2 + 2).fill('discovery'),
    'uplink/wg0', 'uplink/wg1', 'summary',
    'subscribe homeassistant/status',
  ]);
  const pubs = broker.publishes();
  assert.equal(pubs[0], { topic: 'wanpulse/r1/status', payload: 'online', retain: true, qos: 1 });
  assert.ok(pubs.every((p) => p.retain && p.qos === 1), 'state and discovery are retained, QoS 1');
  const wg0 = JSON.parse(pubs.find((p) => p.topic === 'wanpulse/r1/uplink/wg0')!.payload);
  assert.is(wg0.state, 'online');
  assert.equal(JSON.parse(pubs.find((p) => p.topic === 'wanpulse/r1/summary')!.payload), {
    online: 2, total: 2, members: [{ policy: 'balanced', iface: 'wg0', share_pct: 50 }, { policy: 'balanced', iface: 'wg1', share_pct: 50 }],
  });
});

test('while disconnected only the latest value per topic is kept and sent after connecting', async () => {
  const { broker, pub, clock } = setup();
  broker.refuseWith = new Error('connect ECONNREFUSED');
  pub.start();
  await settle();
  for (let i = 0; i < 500; i++) {
    const state = i % 2 === 0 ? 'offline' : 'online';
    pub.publishStatus(snapshot([uplink('wg0', state, { rttMs: i, since: T0 + i })]));
  }
  assert.is(pub.state().connected, false);
  assert.match(pub.state().lastError!, 'ECONNREFUSED');
  broker.refuseWith = null;
  clock.advance(1000);
  await settle();
  assert.ok(pub.state().connected);
  const wg0 = broker.publishes().filter((p) => p.topic === 'wanpulse/r1/uplink/wg0');
  assert.is(wg0.length, 1);
  assert.is(JSON.parse(wg0[0]!.payload).rtt_ms, 499);
  assert.is(JSON.parse(wg0[0]!.payload).state, 'online');
});

test('a state change goes out at once; RTT-only changes wait for the periodic publish', async () => {
  const { broker, pub, clock } = setup({ publishIntervalMs: 10_000 });
  pub.publishStatus(snapshot([uplink('wg0')]));
  pub.start();
  await settle();
  const count = () => broker.publishes().filter((p) => p.topic === 'wanpulse/r1/uplink/wg0').length;
  assert.is(count(), 1);
  pub.publishStatus(snapshot([uplink('wg0', 'online', { rttMs: 20 })]));
  pub.publishStatus(snapshot([uplink('wg0', 'online', { rttMs: 21 })]));
  await settle();
  assert.is(count(), 1, 'RTT-only change is held back');
  pub.publishStatus(snapshot([uplink('wg0', 'offline', { since: T0 + 5000, reason: '3 rounds lost' })]));
  await settle();
  assert.is(count(), 2, 'state change is immediate');
  const last = JSON.parse(broker.publishes().filter((p) => p.topic === 'wanpulse/r1/uplink/wg0').at(-1)!.payload);
  assert.is(last.state, 'offline');
  const summary = broker.publishes().filter((p) => p.topic === 'wanpulse/r1/summary').at(-1)!;
  assert.is(JSON.parse(summary.payload).online, 0, 'summary follows at once');
  pub.publishStatus(snapshot([uplink('wg0', 'offline', { since: T0 + 5000, reason: '3 rounds lost', rttMs: 99 })]));
  clock.advance(10_000);
  await settle();
  assert.is(count(), 3, 'periodic publish');
  assert.is(JSON.parse(broker.publishes().filter((p) => p.topic === 'wanpulse/r1/uplink/wg0').at(-1)!.payload).rtt_ms, 99);
  clock.advance(10_000);
  await settle();
  assert.is(count(), 4, 'periodic publish repeats unchanged values (graphs)');
});

test('a probe rate change and a finished switchover go out at once, once each; repeats of them do not', async () => {
  const { broker, pub } = setup({ publishIntervalMs: 30_000 });
  pub.publishStatus(snapshot([uplink('wg0', 'online', { probing: 'fast' })]));
  pub.start();
  await settle();
  const wg0 = () => broker.publishes().filter((p) => p.topic === 'wanpulse/r1/uplink/wg0').map((p) => JSON.parse(p.payload));
  assert.is(wg0().length, 1);
  for (let i = 0; i < 5; i++) pub.publishStatus(snapshot([uplink('wg0', 'online', { probing: 'slow', rttMs: 20 + i })]));
  await settle();
  assert.equal(wg0().map((p) => p.probing), ['fast', 'slow'], 'the rate change once, not every snapshot at that rate');
  const sw = { direction: 'down' as const, reason: 'r', at: T0 + 100, ok: true, steps: [{ step: 'route', ms: 4 }], routeMs: 4, totalMs: 12 };
  for (let i = 0; i < 5; i++) pub.publishStatus(snapshot([uplink('wg0', 'online', { probing: 'slow', rttMs: 30 + i, lastSwitch: sw })]));
  await settle();
  assert.is(wg0().length, 3, 'the finished switchover once');
  assert.equal(wg0().at(-1)!.last_switch, { direction: 'down', at: new Date(T0 + 100).toISOString(), ok: true, route_ms: 4, total_ms: 12 });
});

test('publish_interval 0: no periodic publish, RTT-only changes still go out, rate-limited', async () => {
  const { broker, pub, clock } = setup({ publishIntervalMs: 0 });
  pub.publishStatus(snapshot([uplink('wg0')]));
  pub.start();
  await settle();
  const count = () => broker.publishes().filter((p) => p.topic === 'wanpulse/r1/uplink/wg0').length;
  for (let i = 0; i < 10; i++) pub.publishStatus(snapshot([uplink('wg0', 'online', { rttMs: 30 + i })]));
  await settle();
  assert.is(count(), 1);
  clock.advance(1000);
  await settle();
  assert.is(count(), 2);
  assert.is(JSON.parse(broker.publishes().filter((p) => p.topic === 'wanpulse/r1/uplink/wg0').at(-1)!.payload).rtt_ms, 39);
  await advance(clock, 60_000);
  assert.is(count(), 2);
});

test('events: QoS 0, not retained; while disconnected only the last one is kept', async () => {
  const { broker, pub, clock } = setup();
  broker.refuseWith = new Error('connect ECONNREFUSED');
  pub.start();
  await settle();
  pub.publishEvent({ iface: 'wg0', from: 'online', to: 'offline', reason: 'a', detectMs: 600, at: T0 });
  pub.publishEvent({ iface: 'wg0', from: 'offline', to: 'online', reason: 'b', detectMs: 900, at: T0 + 1 });
  broker.refuseWith = null;
  clock.advance(1000);
  await settle();
  const events = broker.publishes().filter((p) => p.topic === 'wanpulse/r1/event');
  assert.is(events.length, 1);
  assert.equal({ ...events[0]!, payload: JSON.parse(events[0]!.payload) }, {
    topic: 'wanpulse/r1/event', retain: false, qos: 0,
    payload: { iface: 'wg0', from: 'offline', to: 'online', reason: 'b', detect_ms: 900, at: new Date(T0 + 1).toISOString() },
  });
  pub.publishEvent({ iface: 'wg1', from: 'online', to: 'offline', reason: 'c', detectMs: 500, at: T0 + 2 });
  await settle();
  assert.is(broker.publishes().filter((p) => p.topic === 'wanpulse/r1/event').length, 2, 'sent at once when connected');
});

test('Home Assistant coming online gets discovery then states again; a retained birth message does not', async () => {
  const { broker, pub } = setup();
  pub.publishStatus(snapshot([uplink('wg0')]));
  pub.start();
  await settle();
  const before = broker.publishes().length;
  broker.last!.deliver({ cmd: 'publish', topic: 'homeassistant/status', payload: 'online', qos: 0, retain: true, dup: false });
  await settle();
  assert.is(broker.publishes().length, before);
  broker.last!.deliver({ cmd: 'publish', topic: 'homeassistant/status', payload: 'online', qos: 0, retain: false, dup: false });
  await settle();
  const again = broker.publishes().slice(before).map((p) => kind(p.topic));
  assert.equal(again, [...Array(6).fill('discovery'), 'uplink/wg0', 'summary']);
});

test('an uplink that disappears gets empty retained payloads on its config and state topics', async () => {
  const { broker, pub } = setup();
  pub.publishStatus(snapshot([uplink('wg0'), uplink('wg1')]));
  pub.start();
  await settle();
  const before = broker.publishes().length;
  pub.publishStatus(snapshot([uplink('wg0')]));
  await settle();
  const after = broker.publishes().slice(before);
  const cleared = after.filter((p) => p.payload === '').map((p) => p.topic).sort();
  assert.equal(cleared, [
    'homeassistant/binary_sensor/wanpulse_r1_wg1_online/config',
    'homeassistant/sensor/wanpulse_r1_wg1_jitter/config',
    'homeassistant/sensor/wanpulse_r1_wg1_latency/config',
    'homeassistant/sensor/wanpulse_r1_wg1_loss/config',
    'wanpulse/r1/uplink/wg1',
  ]);
  assert.ok(after.every((p) => p.retain));
  assert.is(JSON.parse(after.find((p) => p.topic === 'wanpulse/r1/summary')!.payload).total, 1);
});

test('reconnect after the broker drops us re-publishes everything retained', async () => {
  const { broker, pub, clock } = setup();
  pub.publishStatus(snapshot([uplink('wg0')]));
  pub.start();
  await settle();
  const firstCount = broker.publishes(1).length;
  broker.last!.kill(new Error('read ECONNRESET'));
  await settle();
  assert.not.ok(pub.state().connected);
  clock.advance(1000);
  await settle();
  assert.ok(pub.state().connected);
  assert.equal(broker.publishes(2).map((p) => p.topic), broker.publishes(1).map((p) => p.topic));
  assert.is(broker.publishes(2).length, firstCount);
});

test('discovery off: no configs, no subscription, states still published', async () => {
  const { broker, pub } = setup({ discovery: false });
  pub.publishStatus(snapshot([uplink('wg0')]));
  pub.start();
  await settle();
  assert.equal(broker.publishes().map((p) => kind(p.topic)), ['status', 'uplink/wg0', 'summary']);
  assert.is(broker.packets('subscribe').length, 0);
});

test('password_file loses only its line end (blanks are the password\'s), and never reaches the log', async () => {
  const { broker, pub, log } = setup({ username: 'wan', passwordFile: '/etc/wanpulse/mqtt.pass' }, { '/etc/wanpulse/mqtt.pass': ' s3cr3t-pw \r\n' });
  broker.connackCode = 4;
  pub.start();
  await settle();
  const c = broker.packets('connect')[0] as { password: Uint8Array };
  assert.is(new TextDecoder().decode(c.password), ' s3cr3t-pw ');
  assert.match(pub.state().lastError!, 'bad user name or password');
  assert.not.ok(log.lines.some((l) => l.includes('s3cr3t')));
  assert.not.ok(JSON.stringify(pub.state()).includes('s3cr3t'));
});

test('the loader\'s router id names the client, the topics and the discovery ids; the device keeps the hostname', async () => {
  const { broker, pub } = setup({ routerId: 'OpenWrt-4f21c0', clientId: '', baseTopic: '' });
  pub.publishStatus(snapshot([uplink('wg0')]));
  pub.start();
  await settle();
  assert.is((broker.packets('connect')[0] as { clientId: string }).clientId, 'wanpulse-OpenWrt-4f21c0');
  const topics = broker.publishes().map((p) => p.topic);
  assert.ok(topics.includes('wanpulse/OpenWrt-4f21c0/status') && topics.includes('homeassistant/binary_sensor/wanpulse_OpenWrt-4f21c0_wg0_online/config'), topics.join('\n'));
  const cfg = JSON.parse(broker.publishes().find((p) => p.topic.endsWith('wg0_online/config'))!.payload);
  assert.equal([cfg.device.name, cfg.device.identifiers], ['r1 uplinks', ['wanpulse_OpenWrt-4f21c0']]);
});

test('calls never throw or block, connected or not', async () => {
  const { pub, broker } = setup();
  broker.refuseWith = new Error('connect ECONNREFUSED');
  pub.publishStatus(snapshot([]));
  pub.publishEvent({ iface: 'x', from: 'unknown', to: 'online', reason: 'r', detectMs: null, at: T0 });
  pub.start();
  pub.start();
  pub.publishStatus(snapshot([uplink('wg0')]));
  await pub.stop();
  pub.publishStatus(snapshot([uplink('wg0')]));
  assert.is(pub.state().enabled, true);
});

test('stop publishes retained offline and disconnects; disabled config is a no-op publisher', async () => {
  const { broker, pub } = setup();
  pub.start();
  await settle();
  await pub.stop();
  const last = broker.publishes().at(-1)!;
  assert.equal(last, { topic: 'wanpulse/r1/status', payload: 'offline', retain: true, qos: 1 });
  assert.is(broker.packets('disconnect').length, 1);
  const off = createMqttPublisher({ net: broker, clock: new FakeClock(), log: memoryLog(), fs: memFs() }, config({ enabled: false }), { version: '1', routerId: 'r1', policies });
  off.start();
  assert.equal(off.state(), { enabled: false, connected: false, lastError: null });
});

test.run();
