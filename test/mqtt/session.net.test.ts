// The session against a real Mosquitto on 127.0.0.1: what a hostile or unlucky broker setup does
// to it (a huge retained message, two clients with one client id, a broker that comes back).
// Only loopback traffic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMqttPublisher } from '../../src/mqtt/publisher.ts';
import { createMqttSession } from '../../src/mqtt/session.ts';
import type { SessionOptions } from '../../src/mqtt/session.ts';
import type { MqttConfig } from '../../src/config/types.ts';
import { nodePlatform } from '../../src/platform/node.ts';
import { memoryLog } from '../../src/platform/log.ts';
import type { Mosquitto } from '../net/mosquitto.ts';
import { mosquittoSuite, sleep, until } from './net-suite.ts';
import { subscribe } from './subscriber.ts';
import { snapshot, uplink } from './sample.ts';

const platform = nodePlatform();
const suite = mosquittoSuite(test);
const { cleanups } = suite;

function publisher(b: Mosquitto, name: string, over: Partial<MqttConfig> = {}) {
  const log = memoryLog();
  const cfg: MqttConfig = {
    enabled: true, host: '127.0.0.1', port: b.port, tls: false, tlsInsecure: false, username: b.user, password: b.password,
    clientId: `wanpulse-${process.pid}-${name}`, baseTopic: `wp${process.pid}/${name}`, discovery: true,
    discoveryPrefix: `ha${process.pid}${name}`, publishIntervalMs: 0, keepaliveS: 5, ...over,
  };
  const pub = createMqttPublisher({ net: platform.net, clock: platform.clock, log, fs: platform.fs }, cfg,
    { version: '0.1.0', routerId: 'r1', policies: [] });
  cleanups.push(() => pub.stop());
  return { pub, log, cfg };
}

test('a 10 MB retained message on Home Assistant\'s status topic is skipped; the session stays up', async () => {
  const broker = suite.broker();
  if (!broker) return;
  const prefix = `ha${process.pid}big`;
  const s = await subscribe({ port: broker.port, user: broker.user, password: broker.password, topics: [`wp${process.pid}/big/status`] });
  cleanups.push(() => s.close());
  s.publish(`${prefix}/status`, new Uint8Array(10 * 1024 * 1024).fill(0x78), true, 1);
  await sleep(300);
  const { pub, log } = publisher(broker, 'big');
  pub.publishStatus(snapshot([uplink('wg0')]));
  pub.start();
  await until(() => log.lines.some((l) => l.includes('skipped it')), 'the skipped message', 10_000);
  await sleep(1500);
  assert.ok(pub.state().connected, log.lines.join('\n'));
  assert.is(log.lines.filter((l) => l.includes('MQTT connected')).length, 1, log.lines.join('\n'));
  assert.is(log.lines.filter((l) => l.startsWith('warn:')).length, 1, log.lines.join('\n'));
  assert.is(s.messages.filter((m) => m.payload === 'offline').length, 0, 'the will never fired');
  // the subscription still works: a live birth message brings discovery again
  const before = log.lines.length;
  s.publish(`${prefix}/status`, 'online');
  await until(() => log.lines.slice(before).some((l) => l.includes('Home Assistant came online')), 'the live birth message');
  s.publish(`${prefix}/status`, '', true); // clear the retained message
});

function session(b: Mosquitto, clientId: string, over: Partial<SessionOptions> = {}) {
  const log = memoryLog();
  let connects = 0;
  const sess = createMqttSession({ net: platform.net, clock: platform.clock, log }, {
    host: '127.0.0.1', port: b.port, tls: false, tlsInsecure: false, clientId, username: b.user, keepaliveS: 5,
    will: { topic: `wp${process.pid}/${clientId}/status`, payload: 'offline', qos: 1, retain: false },
    loadSecrets: async () => ({ password: b.password }), ...over,
  }, { onConnected: () => { connects++; }, onDisconnected: () => undefined, onMessage: () => undefined });
  cleanups.push(() => sess.stop());
  return { sess, log, connects: () => connects };
}

test('two clients with one client id knock each other off: the log says so, once', async () => {
  const broker = suite.broker();
  if (!broker) return;
  const id = `wanpulse-dup-${process.pid}`;
  const fast = { backoffInitialMs: 100, backoffMaxMs: 400 };
  const a = session(broker, id, fast);
  const b = session(broker, id, fast);
  a.sess.start();
  await until(() => a.sess.isConnected(), 'the first client');
  b.sess.start();
  const said = (l: string) => l.startsWith('warn:') && l.includes(`another client uses the client id "${id}"`);
  await until(() => [...a.log.lines, ...b.log.lines].some(said), 'the duplicate client id to be named', 15_000);
  await sleep(1500);
  assert.ok(a.connects() + b.connects() >= 4, `${a.connects()} + ${b.connects()} connections`);
  for (const c of [a, b]) assert.ok(c.log.lines.filter(said).length <= 1, c.log.lines.join('\n'));
  const shown = [...a.log.lines, ...b.log.lines].filter((l) => !l.startsWith('debug:'));
  assert.ok(shown.length <= 12, `${shown.length} lines:\n${shown.join('\n')}`);
});

test('plain MQTT into the TLS listener: closed before CONNACK each time, one log line naming the broker', async () => {
  const broker = suite.broker();
  if (!broker) return;
  const c = session(broker, `wanpulse-plain-${process.pid}`, { port: broker.tlsPort, backoffInitialMs: 50, backoffMaxMs: 100 });
  c.sess.start();
  await until(() => c.log.lines.filter((l) => l.startsWith('debug:')).length >= 6, 'six more attempts', 10_000);
  const shown = c.log.lines.filter((l) => !l.startsWith('debug:'));
  assert.is(shown.length, 1, c.log.lines.join('\n'));
  assert.match(shown[0]!, `warn: MQTT broker 127.0.0.1:${broker.tlsPort} closed the connection before CONNACK`);
  assert.ok(c.log.lines.every((l) => l.includes('MQTT') && l.includes(`127.0.0.1:${broker.tlsPort}`)), c.log.lines.join('\n'));
});

test('a broker that was down comes back: reconnected within a few seconds, with the default policy', async () => {
  const broker = suite.broker();
  if (!broker) return;
  const { pub, log } = publisher(broker, 'back', { discovery: false });
  pub.start();
  await until(() => pub.state().connected, 'first connect');
  await broker.stopBroker();
  await until(() => !pub.state().connected, 'the publisher to notice');
  await sleep(12_000); // long enough for plain exponential backoff to reach 8–16 s
  await broker.startBroker();
  const back = Date.now();
  await until(() => pub.state().connected, 'the reconnect', 20_000);
  const took = Date.now() - back;
  console.log(`  reconnected ${took} ms after the broker came back (down 12 s)`);
  assert.ok(took <= 4000, `${took} ms`);
  assert.is(log.lines.filter((l) => l.startsWith('info: MQTT connected')).length, 2, log.lines.join('\n'));
});

test.run();
