import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Packet } from '../../src/mqtt/codec.ts';
import { settle } from './fake-broker.ts';
import { SECRET, setup } from './session-setup.ts';

test('connects with client id, user, password, keepalive and a retained QoS 1 will', async () => {
  const { broker, session, events } = setup();
  session.start();
  await settle();
  assert.ok(session.isConnected());
  assert.equal(events, ['connected']);
  const c = broker.packets('connect')[0] as Extract<Packet, { cmd: 'connect' }>;
  assert.is(c.clientId, 'wanpulse-r1');
  assert.is(c.username, 'wan');
  assert.is(new TextDecoder().decode(c.password as unknown as Uint8Array), SECRET);
  assert.is(c.keepalive, 30);
  assert.is(c.protocolVersion, 4);
  assert.is(c.will!.topic, 'wanpulse/r1/status');
  assert.is(new TextDecoder().decode(c.will!.payload as unknown as Uint8Array), 'offline');
  assert.is(c.will!.retain, true);
  assert.is(c.will!.qos, 1);
});

test('a refused CONNECT gives a clear log line, never the password, and retries with growing capped backoff', async () => {
  const { broker, session, log, clock } = setup();
  broker.connackCode = 5;
  session.start();
  await settle();
  assert.not.ok(session.isConnected());
  assert.match(session.lastError()!, 'MQTT broker 127.0.0.1:1883 refused the connection: not authorized (check username/password)');
  assert.ok(log.lines.some((l) => l.includes('warn: MQTT broker 127.0.0.1:1883 refused the connection: not authorized (check username/password); retrying in 1.0 s')));
  // with random() = 1 the delays are the full 1, 2, 4, 8, 16, 30, 30 s
  const expected = [1000, 2000, 4000, 8000, 16000, 30000, 30000];
  for (const delay of expected) {
    const before = broker.connections.length;
    clock.advance(delay - 1);
    await settle();
    assert.is(broker.connections.length, before, `no attempt before ${delay} ms`);
    clock.advance(1);
    await settle();
    assert.is(broker.connections.length, before + 1, `attempt after ${delay} ms`);
  }
  assert.is(log.lines.filter((l) => l.startsWith('warn:')).length, 1, 'the same failure is logged once');
  assert.not.ok(log.lines.some((l) => l.includes(SECRET)));
});

test('backoff is jittered between half and the full delay', async () => {
  const { broker, session, clock } = setup({}, () => 0);
  broker.refuseWith = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' });
  session.start();
  await settle();
  assert.is(broker.connectCalls.length, 1);
  clock.advance(499);
  await settle();
  assert.is(broker.connectCalls.length, 1);
  clock.advance(1);
  await settle();
  assert.is(broker.connectCalls.length, 2);
  assert.match(session.lastError()!, 'ECONNREFUSED');
});

test('keepalive: pings when idle, and a broker that stops answering is dropped and reconnected', async () => {
  const { broker, session, clock, events } = setup({ keepaliveS: 10 });
  session.start();
  await settle();
  clock.advance(10_000);
  await settle();
  assert.is(broker.packets('pingreq').length, 1);
  assert.ok(session.isConnected());
  broker.answerPings = false;
  clock.advance(10_000);
  await settle();
  assert.is(broker.packets('pingreq').length, 2);
  clock.advance(5_000);
  await settle();
  assert.not.ok(session.isConnected());
  assert.match(events[1]!, 'no answer to keepalive ping');
  broker.answerPings = true;
  clock.advance(1_000);
  await settle();
  assert.ok(session.isConnected());
  assert.is(broker.connections.length, 2);
});

test('a broker that accepts TCP but never sends CONNACK is given up on', async () => {
  const { broker, session, clock } = setup({ connectTimeoutMs: 3000 });
  broker.receive = () => undefined; // a silent peer
  session.start();
  await settle();
  clock.advance(3000);
  await settle();
  assert.match(session.lastError()!, 'no CONNACK');
});

test('publish is refused (false) while disconnected and QoS 1 publishes carry message ids', async () => {
  const { broker, session } = setup();
  assert.is(session.publish('a', 'x', { qos: 1, retain: true }), false);
  session.start();
  await settle();
  assert.ok(session.publish('a', 'x', { qos: 1, retain: true }));
  assert.ok(session.publish('b', 'y', { qos: 0, retain: false }));
  await settle();
  const [a, b] = broker.packets('publish') as Extract<Packet, { cmd: 'publish' }>[];
  assert.is(a!.qos, 1);
  assert.type(a!.messageId, 'number');
  assert.is(b!.qos, 0);
});

test('incoming messages reach the handler with their retain flag, QoS 1 is acknowledged', async () => {
  const { broker, session, messages } = setup();
  session.start();
  await settle();
  broker.last!.deliver({ cmd: 'publish', topic: 'homeassistant/status', payload: 'online', qos: 1, messageId: 77, retain: false, dup: false });
  await settle();
  assert.equal(messages, [{ topic: 'homeassistant/status', payload: 'online', retained: false }]);
  assert.equal(broker.packets('puback').map((p) => (p as { messageId: number }).messageId), [77]);
});

test('stop publishes the last message, waits for its PUBACK, sends DISCONNECT and does not reconnect', async () => {
  const { broker, session, clock } = setup();
  session.start();
  await settle();
  await session.stop({ topic: 'wanpulse/r1/status', payload: 'offline', qos: 1, retain: true });
  assert.equal(broker.publishes().map((p) => [p.topic, p.payload, p.retain]), [['wanpulse/r1/status', 'offline', true]]);
  assert.is(broker.packets('disconnect').length, 1);
  assert.ok(broker.last!.closed);
  clock.advance(120_000);
  await settle();
  assert.is(broker.connections.length, 1);
});

test('stop is bounded when the broker never acknowledges', async () => {
  const { broker, session, clock } = setup();
  session.start();
  await settle();
  broker.ackPublishes = false;
  let done = false;
  const p = session.stop({ topic: 's', payload: 'offline', qos: 1, retain: true }, 1000).then(() => { done = true; });
  await settle();
  assert.not.ok(done);
  clock.advance(1000);
  await settle();
  assert.ok(done);
  await p;
  assert.ok(broker.last!.closed);
});

test('stop while the broker is unreachable cancels the retries', async () => {
  const { broker, session, clock } = setup();
  broker.refuseWith = new Error('connect ECONNREFUSED');
  session.start();
  await settle();
  await session.stop();
  clock.advance(120_000);
  await settle();
  assert.is(broker.connectCalls.length, 1);
});

test('a secret that cannot be loaded is a clear, retried error', async () => {
  const { session, broker, clock } = setup({ loadSecrets: async () => { throw new Error('password_file /etc/x does not exist'); } });
  session.start();
  await settle();
  assert.match(session.lastError()!, 'password_file /etc/x does not exist');
  assert.is(broker.connectCalls.length, 0);
  clock.advance(1000);
  await settle();
  assert.match(session.lastError()!, 'password_file');
});

test('TLS trust failures get a hint about ca_file', async () => {
  const { session, broker } = setup({ tls: true });
  broker.refuseWith = Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' });
  session.start();
  await settle();
  assert.match(session.lastError()!, 'check ca_file');
  assert.is(broker.connectCalls[0]!.tls, true);
});

test('a 10 MB retained message on a subscribed topic is skipped: the session stays up, one log line', async () => {
  const { broker, session, log, messages, events } = setup();
  session.start();
  await settle();
  const size = 10 * 1024 * 1024;
  const topic = new TextEncoder().encode('homeassistant/status');
  // PUBLISH, QoS 1, retain; remaining length as a 4-byte varint
  const len = [size & 0x7f | 0x80, (size >> 7) & 0x7f | 0x80, (size >> 14) & 0x7f | 0x80, size >> 21];
  for (let round = 0; round < 2; round++) {
    broker.last!.deliverBytes(new Uint8Array([0x33, ...len, 0, topic.length, ...topic, 0x10, 0x01 + round]));
    const chunk = new Uint8Array(1024 * 1024);
    for (let left = size - 2 - topic.length - 2; left > 0; left -= chunk.length) {
      broker.last!.deliverBytes(chunk.subarray(0, Math.min(left, chunk.length)));
      await settle(1);
    }
    await settle();
  }
  broker.last!.deliver({ cmd: 'publish', topic: 'homeassistant/status', payload: 'online', qos: 0, retain: false, dup: false });
  await settle();
  assert.ok(session.isConnected());
  assert.equal(events, ['connected']);
  assert.is(broker.connections.length, 1);
  assert.equal(broker.packets('puback').map((p) => (p as { messageId: number }).messageId), [0x1001, 0x1002]);
  assert.equal(messages, [{ topic: 'homeassistant/status', payload: 'online', retained: false }]);
  const warned = log.lines.filter((l) => l.startsWith('warn:'));
  assert.is(warned.length, 1, warned.join('\n'));
  assert.match(warned[0]!, `MQTT broker 127.0.0.1:1883 sent a ${size}-byte message on "homeassistant/status"`);
});

test.run();
