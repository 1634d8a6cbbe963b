// The session's reconnect policy and what it logs, on the FakeBroker: failures before CONNACK, a
// broker that comes back, a broker that keeps dropping an accepted connection.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Packet } from '../../src/mqtt/codec.ts';
import { settle } from './fake-broker.ts';
import type { FakeConnection } from './fake-broker.ts';
import { setup } from './session-setup.ts';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' });

/** steps the fake clock until `cond` holds; returns the time it took (null: not within maxMs) */
async function timeUntil(clock: { advance(ms: number): void; nowMs(): number }, cond: () => boolean, maxMs: number, stepMs = 100): Promise<number | null> {
  const start = clock.nowMs();
  for (let t = 0; t <= maxMs; t += stepMs) {
    await settle();
    if (cond()) return clock.nowMs() - start;
    clock.advance(stepMs);
  }
  return null;
}

test('failures before CONNACK (closed, reset, alternating) are one log line naming MQTT and the broker; connecting again is one more', async () => {
  const { broker, session, log, clock } = setup();
  let n = 0;
  const accept = broker.receive.bind(broker);
  broker.receive = (conn: FakeConnection, p: Packet) => {
    if (p.cmd !== 'connect' || n >= 12) { accept(conn, p); return; }
    n++;
    conn.kill(n % 2 ? Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) : undefined);
  };
  session.start();
  const took = await timeUntil(clock, () => session.isConnected(), 600_000, 500);
  assert.ok(took !== null, 'connects in the end');
  assert.is(n, 12);
  const shown = log.lines.filter((l) => !l.startsWith('debug:'));
  assert.equal(shown, [
    'warn: MQTT broker 127.0.0.1:1883 closed the connection before CONNACK (read ECONNRESET); retrying in 1.0 s',
    'info: MQTT connected to 127.0.0.1:1883 as wanpulse-r1',
  ]);
  assert.ok(log.lines.every((l) => l.includes('MQTT') && l.includes('127.0.0.1:1883')), log.lines.join('\n'));
});

test('a broker that was down for 2 minutes is noticed within 2 s of coming back', async () => {
  const { broker, session, clock } = setup();
  session.start();
  await settle();
  broker.last!.kill(); // the broker goes away ...
  broker.refuseWith = refused();
  await settle();
  for (let t = 0; t < 120_000; t += 1000) { clock.advance(1000); await settle(); }
  const attempts = broker.connectCalls.length;
  assert.ok(attempts >= 120_000 / 2000, `asked at least every 2 s while it was down (${attempts} attempts)`);
  assert.ok(attempts <= 120_000 / 1000 + 2, `but not more than about once a second (${attempts} attempts)`);
  broker.refuseWith = null; // ... and comes back
  const took = await timeUntil(clock, () => session.isConnected(), 30_000);
  assert.ok(took !== null && took <= 2000, `reconnected ${took} ms after the broker came back`);
});

test('a broker that is up but refuses is still backed off to 30 s', async () => {
  const { broker, session, clock } = setup();
  broker.connackCode = 3;
  session.start();
  for (let t = 0; t < 120_000; t += 1000) { clock.advance(1000); await settle(); }
  assert.ok(broker.connections.length <= 9, `${broker.connections.length} handshakes in 2 minutes`);
});

test('a broker that accepts and then closes the connection, again and again, is said to see a duplicate client id', async () => {
  const { broker, session, log, clock } = setup();
  const accept = broker.receive.bind(broker);
  broker.receive = (conn: FakeConnection, p: Packet) => {
    accept(conn, p);
    if (p.cmd === 'connect') setTimeout(() => conn.kill(), 0); // right after the CONNACK
  };
  session.start();
  for (let i = 0; i < 120 && broker.connections.length < 8; i++) { clock.advance(1000); await settle(); await new Promise((r) => setTimeout(r, 1)); }
  assert.ok(broker.connections.length >= 8, `${broker.connections.length} connections`);
  const dup = log.lines.filter((l) => l.startsWith('warn:') && l.includes('another client uses the client id "wanpulse-r1"'));
  assert.is(dup.length, 1, log.lines.join('\n'));
  assert.match(session.lastError()!, 'another client uses the client id');
  assert.ok(log.lines.filter((l) => !l.startsWith('debug:')).length <= 6, log.lines.join('\n'));
});

test('a PUBLISH announcing 256 MB, then silence: the keepalive ends it, memory never holds it', async () => {
  const { broker, session, clock, events } = setup({ keepaliveS: 10 });
  session.start();
  await settle();
  broker.last!.deliverBytes(new Uint8Array([0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01, 0x74])); // topic "t", then nothing
  broker.last!.deliverBytes(new Uint8Array(64 * 1024));
  await settle();
  assert.ok(session.isConnected(), 'a big packet alone is no reason to drop');
  broker.answerPings = false; // silence: not even a PINGRESP (it would count as more of the packet)
  for (let t = 0; t < 16_000; t += 1000) { clock.advance(1000); await settle(); }
  assert.match(events[1]!, 'no answer to keepalive ping');
  assert.is(events[2], 'connected', 'and connected again');
});

test.run();
