// The session against a real Mosquitto on 127.0.0.1: what a hostile or unlucky broker setup does
// to it (a huge retained message, two clients with one client id, a broker that comes back).
// Only loopback traffic.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMqttPublisher } from '../../src/mqtt/publisher.ts';
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

test.run();
