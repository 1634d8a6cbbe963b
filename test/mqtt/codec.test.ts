import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as mqttPacket from 'mqtt-packet';
import { createDecoder, encodePacket } from '../../src/mqtt/codec.ts';
import type { Packet } from '../../src/mqtt/codec.ts';

test('same bytes as mqtt-packet (reference) across remaining-length boundaries and flags', () => {
  for (const size of [0, 1, 100, 127, 128, 16383, 16384, 70000]) for (const qos of [0, 1, 2] as const) for (const retain of [false, true]) {
    const topic = 'wanpulse/ü/€/' + size;
    const n = Math.max(0, size - (2 + new TextEncoder().encode(topic).length + (qos ? 2 : 0)));
    const payload = new Uint8Array(n).map((_, i) => i & 255);
    const p = { cmd: 'publish', topic, payload, qos, retain, dup: qos > 0 && retain, ...(qos ? { messageId: 7 } : {}) } as const;
    assert.equal(Array.from(encodePacket(p)), Array.from(mqttPacket.generate({ ...p, payload: Buffer.from(payload) } as never)), `size ${size} qos ${qos}`);
  }
});

test('a packet split across chunks comes out whole, and two in one chunk come out as two', () => {
  const got: Packet[] = [];
  const d = createDecoder((p) => got.push(p), (e) => assert.unreachable(e.message));
  const a = encodePacket({ cmd: 'publish', topic: 'wanpulse/r1/status', payload: 'online', qos: 1, messageId: 9, retain: true, dup: false });
  const b = encodePacket({ cmd: 'pingresp' });
  d.push(a.subarray(0, 5));
  assert.is(got.length, 0);
  const rest = new Uint8Array(a.length - 5 + b.length);
  rest.set(a.subarray(5));
  rest.set(b, a.length - 5);
  d.push(rest);
  assert.equal(got.map((p) => p.cmd), ['publish', 'pingresp']);
  const pub = got[0] as Extract<Packet, { cmd: 'publish' }>;
  assert.is(pub.topic, 'wanpulse/r1/status');
  assert.is(new TextDecoder().decode(pub.payload as Uint8Array), 'online');
  assert.is(pub.retain, true);
  assert.is(pub.messageId, 9);
});

test('CONNECT carries will, user name and password', () => {
  const got: Packet[] = [];
  const d = createDecoder((p) => got.push(p), () => undefined);
  d.push(encodePacket({
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: 'c1', keepalive: 30,
    username: 'u', password: 'p' as unknown as Buffer,
    will: { topic: 'b/status', payload: 'offline' as unknown as Buffer, qos: 1, retain: true },
  }));
  const c = got[0] as Extract<Packet, { cmd: 'connect' }>;
  assert.is(c.clientId, 'c1');
  assert.is(c.username, 'u');
  assert.is(new TextDecoder().decode(c.password as unknown as Uint8Array), 'p');
  assert.is(c.will?.topic, 'b/status');
  assert.is(c.will?.retain, true);
  assert.is(c.will?.qos, 1);
});

test('garbage from the broker is an error, reported once', () => {
  const errors: string[] = [];
  const d = createDecoder(() => undefined, (e) => errors.push(e.message));
  d.push(new Uint8Array([0xff, 0x00]));
  d.push(new Uint8Array([0xff, 0x00]));
  assert.is(errors.length, 1);
});

test.run();
