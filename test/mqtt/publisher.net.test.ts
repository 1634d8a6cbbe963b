// The publisher against a real Mosquitto on 127.0.0.1 (password auth, a TLS listener with the
// test's own CA). Only loopback traffic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMqttPublisher } from '../../src/mqtt/publisher.ts';
import type { MqttConfig, PolicyConfig } from '../../src/config/types.ts';
import { nodePlatform } from '../../src/platform/node.ts';
import { memoryLog } from '../../src/platform/log.ts';
import type { Mosquitto } from '../net/mosquitto.ts';
import { mosquittoSuite, until } from './net-suite.ts';
import { subscribe } from './subscriber.ts';
import type { Subscriber } from './subscriber.ts';
import { T0, snapshot, uplink } from './sample.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const platform = nodePlatform();
const policies: PolicyConfig[] = [{ name: 'balanced', members: [{ iface: 'wg0', metric: 1, weight: 2 }, { iface: 'wg1', metric: 1, weight: 1 }] }];
const suite = mosquittoSuite(test);
const { cleanups } = suite;

function cfgFor(b: Mosquitto, base: string, over: Partial<MqttConfig> = {}): MqttConfig {
  return {
    enabled: true, host: '127.0.0.1', port: b.port, tls: false, tlsInsecure: false, username: b.user, password: b.password,
    clientId: `wanpulse-test-${process.pid}-${base.replace(/\W/g, '')}`, baseTopic: base, discovery: true,
    discoveryPrefix: `ha${process.pid}`, publishIntervalMs: 0, keepaliveS: 5, ...over,
  };
}

function publisher(b: Mosquitto, base: string, over: Partial<MqttConfig> = {}) {
  const log = memoryLog();
  const pub = createMqttPublisher({ net: platform.net, clock: platform.clock, log, fs: platform.fs }, cfgFor(b, base, over),
    { version: '0.1.0', routerId: 'r1', policies });
  cleanups.push(() => pub.stop());
  return { pub, log };
}

async function sub(b: Mosquitto, topics: string[]): Promise<Subscriber> {
  const s = await subscribe({ port: b.port, user: b.user, password: b.password, topics });
  cleanups.push(() => s.close());
  return s;
}

test('a subscriber sees status, discovery, retained states in order, then events and transitions', async () => {
  const broker = suite.broker();
  if (!broker) return;
  const base = `wp${process.pid}/order`;
  const prefix = `ha${process.pid}`;
  const s = await sub(broker, [`${base}/#`, `${prefix}/#`]);
  const { pub } = publisher(broker, base);
  pub.publishStatus(snapshot([uplink('wg0'), uplink('wg1')]));
  pub.start();
  await s.waitFor((m) => m.topic === `${base}/summary`);
  const kinds = s.messages.map((m) => (m.topic.startsWith(prefix) ? 'discovery' : m.topic.slice(base.length + 1)));
  assert.equal(kinds, ['status', ...Array(10).fill('discovery'), 'uplink/wg0', 'uplink/wg1', 'summary']);
  assert.is(s.messages[0]!.payload, 'online');
  const summary = JSON.parse(s.messages.at(-1)!.payload);
  assert.equal(summary.members.map((m: { share_pct: number }) => m.share_pct), [66.7, 33.3]);
  const cfg = JSON.parse(s.messages.find((m) => m.topic === `${prefix}/binary_sensor/wanpulse_r1_wg0_online/config`)!.payload);
  assert.is(cfg.state_topic, `${base}/uplink/wg0`);

  // a transition: the uplink state goes out at once, the event follows as a non-retained message
  const from = s.messages.length;
  pub.publishStatus(snapshot([uplink('wg0', 'offline', { since: T0 + 1000, owner: 'wanpulse', reason: '3 rounds lost' }), uplink('wg1')]));
  pub.publishEvent({ iface: 'wg0', from: 'online', to: 'offline', reason: '3 rounds lost', detectMs: 610, at: T0 + 1000 });
  const state = await s.waitFor((m) => m.topic === `${base}/uplink/wg0`, 3000, from);
  assert.is(JSON.parse(state.payload).state, 'offline');
  assert.is(JSON.parse(state.payload).last_switch, null);

  // the switchover finishes (routing changed after 8 ms): its timings go out at once in the
  // attributes Home Assistant reads; so does a probe rate change
  const done = s.messages.length;
  const sw = { direction: 'down' as const, reason: '3 rounds lost', at: T0 + 1000, ok: true, steps: [{ step: 'route', ms: 8 }], routeMs: 8, totalMs: 15 };
  pub.publishStatus(snapshot([uplink('wg0', 'offline', { since: T0 + 1000, owner: 'wanpulse', reason: '3 rounds lost', lastSwitch: sw }), uplink('wg1', 'online', { probing: 'slow' })]));
  const switched = await s.waitFor((m) => m.topic === `${base}/uplink/wg0`, 3000, done);
  assert.equal(JSON.parse(switched.payload).last_switch, { direction: 'down', at: new Date(T0 + 1000).toISOString(), ok: true, route_ms: 8, total_ms: 15 });
  const slow = await s.waitFor((m) => m.topic === `${base}/uplink/wg1`, 3000, done);
  assert.is(JSON.parse(slow.payload).probing, 'slow');
  const event = await s.waitFor((m) => m.topic === `${base}/event`, 3000, from);
  assert.equal(JSON.parse(event.payload), { iface: 'wg0', from: 'online', to: 'offline', reason: '3 rounds lost', detect_ms: 610, at: new Date(T0 + 1000).toISOString() });
  assert.is(event.retain, false);

  // Home Assistant restarts: discovery again, then states
  const before = s.messages.length;
  s.publish(`${prefix}/status`, 'online');
  await s.waitFor((m) => m.topic === `${base}/summary`, 3000, before);
  const again = s.messages.slice(before).filter((m) => m.topic !== `${prefix}/status`)
    .map((m) => (m.topic.startsWith(prefix) ? 'discovery' : m.topic.slice(base.length + 1)));
  assert.equal(again, [...Array(10).fill('discovery'), 'uplink/wg0', 'uplink/wg1', 'summary']);
});

test('after the broker restarts (no persistence) everything retained is back', async () => {
  const broker = suite.broker();
  if (!broker) return;
  const base = `wp${process.pid}/restart`;
  const { pub } = publisher(broker, base, { discoveryPrefix: `ha${process.pid}r` });
  pub.publishStatus(snapshot([uplink('wg0')]));
  pub.start();
  await until(() => pub.state().connected, 'first connect');
  await broker.stopBroker();
  await until(() => !pub.state().connected, 'publisher to notice the broker is gone');
  pub.publishStatus(snapshot([uplink('wg0', 'degraded', { since: T0 + 5, reason: 'loss 30%' })]));
  await broker.startBroker();
  await until(() => pub.state().connected, 'reconnect', 15_000);
  // a fresh subscriber gets only what the broker holds retained
  const s = await sub(broker, [`${base}/#`, `ha${process.pid}r/#`]);
  await s.waitFor((m) => m.topic === `${base}/summary`);
  await s.waitFor((m) => m.topic === `${base}/uplink/wg0`);
  await s.waitFor((m) => m.topic === `${base}/status`);
  await s.waitFor((m) => m.topic.endsWith('wanpulse_r1_wg0_latency/config'));
  assert.ok(s.messages.every((m) => m.retain), 'all of it retained');
  assert.is(s.messages.find((m) => m.topic === `${base}/status`)!.payload, 'online');
  assert.is(JSON.parse(s.messages.find((m) => m.topic === `${base}/uplink/wg0`)!.payload).state, 'degraded');
});

test('SIGKILL of a publisher process: the will publishes retained offline', async () => {
  const broker = suite.broker();
  if (!broker) return;
  const base = `wp${process.pid}/will`;
  const s = await sub(broker, [`${base}/status`]);
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/mqtt/publisher-child.ts'), String(broker.port), broker.user, broker.password, base],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  await until(() => out.includes('connected'), `child to connect (${out})`, 15_000);
  await s.waitFor((m) => m.payload === 'online');
  child.kill('SIGKILL');
  const will = await s.waitFor((m) => m.payload === 'offline', 5000);
  assert.is(will.topic, `${base}/status`);
  const late = await subscribe({ port: broker.port, user: broker.user, password: broker.password, topics: [`${base}/status`] });
  cleanups.push(() => late.close());
  const kept = await late.waitFor(() => true);
  assert.equal([kept.payload, kept.retain], ['offline', true]);
});

test('wrong credentials: a clear log line, retries with backoff, and the caller keeps going', async () => {
  const broker = suite.broker();
  if (!broker) return;
  const { pub, log } = publisher(broker, `wp${process.pid}/badauth`, { password: 'wrong-password' });
  pub.start();
  await until(() => log.lines.filter((l) => l.includes('retrying in')).length >= 2, 'a second attempt', 10_000);
  assert.ok(log.lines.some((l) => /^warn: MQTT broker 127.0.0.1:[0-9]+ refused the connection: (not authorized|bad user name or password) \(check username\/password\)/.test(l)), log.lines.join('\n'));
  assert.is(log.lines.filter((l) => l.startsWith('warn:')).length, 1, 'the repeated failure is not logged again at warn');
  for (let i = 0; i < 100; i++) pub.publishStatus(snapshot([uplink('wg0', i % 2 ? 'online' : 'offline', { since: T0 + i })]));
  pub.publishEvent({ iface: 'wg0', from: 'online', to: 'offline', reason: 'x', detectMs: 1, at: T0 });
  assert.equal(pub.state(), { enabled: true, connected: false, lastError: pub.state().lastError });
  assert.not.ok(log.lines.some((l) => l.includes('wrong-password')));
});

test('TLS with the generated CA connects; a wrong CA fails with a clear error', async () => {
  const broker = suite.broker();
  if (!broker) return;
  const base = `wp${process.pid}/tls`;
  const s = await sub(broker, [`${base}/status`]);
  const good = publisher(broker, base, { tls: true, port: broker.tlsPort, caFile: broker.caFile, discovery: false });
  good.pub.start();
  await s.waitFor((m) => m.payload === 'online', 8000);
  assert.ok(good.log.lines.some((l) => l.includes('(TLS)')));

  const copy = join(broker.dir, 'wrong-copy.crt');
  writeFileSync(copy, await platform.fs.readText(broker.wrongCaFile) ?? '');
  const bad = publisher(broker, `${base}-bad`, { tls: true, port: broker.tlsPort, caFile: copy, discovery: false });
  bad.pub.start();
  await until(() => bad.pub.state().lastError !== null, 'the TLS failure');
  assert.match(bad.pub.state().lastError!, /certificate|issuer/i);
  assert.match(bad.pub.state().lastError!, 'check ca_file');
  assert.is(bad.pub.state().connected, false);
});

test('stop: retained offline, within about a second', async () => {
  const broker = suite.broker();
  if (!broker) return;
  const base = `wp${process.pid}/stop`;
  const s = await sub(broker, [`${base}/status`]);
  const { pub } = publisher(broker, base, { discovery: false });
  pub.start();
  await s.waitFor((m) => m.payload === 'online');
  await pub.stop();
  const off = await s.waitFor((m) => m.payload === 'offline', 3000);
  assert.is(off.topic, `${base}/status`);
  assert.is(pub.state().connected, false);
});

test.run();
