// What a hostile or broken broker may send, byte by byte: every malformed packet is one clear
// error through the decoder's onError (the session turns it into a reconnect), never a throw out
// of push(), never a packet. Well-formed packets parse as mqtt-packet (the reference) parses them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as mqttPacket from 'mqtt-packet';
import { createDecoder, encodePacket } from '../../src/mqtt/codec.ts';
import type { Packet } from '../../src/mqtt/codec.ts';

function decode(bytes: number[] | Uint8Array): { packets: Packet[]; errors: string[] } {
  const packets: Packet[] = [];
  const errors: string[] = [];
  const d = createDecoder((p) => packets.push(p), (e) => errors.push(e.message));
  d.push(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes));
  return { packets, errors };
}

const str = (s: string) => { const b = new TextEncoder().encode(s); return [b.length >> 8, b.length & 255, ...b]; };

const cases: [string, number[], RegExp][] = [
  ['reserved type 0', [0x00, 0x00], /reserved type 0/],
  ['reserved type 15', [0xf0, 0x00], /reserved type 15/],
  ['CONNACK with flag bits', [0x21, 0x02, 0x00, 0x00], /CONNACK.*reserved flag bits 1/],
  ['CONNACK truncated', [0x20, 0x01, 0x00], /CONNACK.*truncated/],
  ['CONNACK with trailing bytes', [0x20, 0x03, 0x00, 0x00, 0x00], /CONNACK.*trailing bytes/],
  ['PUBLISH with QoS 3', [0x36, ...[2 + 1 + 2], ...str('t'), 0x00, 0x01], /PUBLISH.*QoS 3/],
  ['PUBLISH with invalid UTF-8 topic', [0x30, 0x04, 0x00, 0x02, 0xc3, 0x28], /PUBLISH.*not valid UTF-8/],
  ['PUBLISH topic with U+0000', [0x30, 0x04, 0x00, 0x02, 0x61, 0x00], /PUBLISH.*U\+0000/],
  ['PUBLISH QoS 1 with packet id 0', [0x32, 0x05, ...str('t'), 0x00, 0x00], /PUBLISH.*identifier 0/],
  ['PUBACK truncated', [0x40, 0x01, 0x01], /PUBACK.*truncated/],
  ['SUBACK with a bad return code', [0x90, 0x03, 0x00, 0x01, 0x07], /SUBACK/],
  ['PINGRESP with a body', [0xd0, 0x01, 0x00], /PINGRESP.*trailing bytes/],
];

for (const [name, bytes, want] of cases) {
  test(`malformed: ${name} → one error, no packet`, () => {
    const r = decode(bytes);
    assert.equal(r.packets, []);
    assert.is(r.errors.length, 1, JSON.stringify(r.errors));
    assert.match(r.errors[0]!, want);
  });
}

test('a remaining length over 4 bytes is an error, not a wait for more', () => {
  const r = decode([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]);
  assert.equal(r.packets, []);
  assert.is(r.errors.length, 1);
});

test('after the first error the decoder reports nothing more (the session reconnects)', () => {
  const r = decode([0x00, 0x00, 0xd0, 0x00, 0xf0, 0x00]);
  assert.equal([r.packets.length, r.errors.length], [0, 1]);
});

test('random bytes never throw out of push() and never produce more than one error', () => {
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
  const started = Date.now();
  for (let i = 0; i < 2000 && Date.now() - started < 10_000; i++) {
    const len = rnd() % 40;
    const bytes = Array.from({ length: len }, () => rnd() & 255);
    const r = decode(bytes);
    assert.ok(r.errors.length <= 1);
  }
});

test('what the broker sends parses as mqtt-packet parses it (CONNACK, PUBLISH QoS 0/1, PUBACK, SUBACK, PINGRESP)', () => {
  const packets = [
    { cmd: 'connack', returnCode: 5, sessionPresent: false },
    { cmd: 'publish', topic: 'homeassistant/status', payload: 'online', qos: 0, retain: true, dup: false },
    { cmd: 'publish', topic: 'a/ü/b', payload: 'x'.repeat(300), qos: 1, messageId: 7, retain: false, dup: true },
    { cmd: 'puback', messageId: 65535 },
    { cmd: 'suback', messageId: 2, granted: [0, 1, 128] },
    { cmd: 'pingresp' },
  ] as const;
  for (const p of packets) {
    const ref = mqttPacket.generate(p as unknown as mqttPacket.Packet);
    assert.equal([...encodePacket(p as unknown as Packet)], [...ref], `encode ${p.cmd}`);
    const r = decode(new Uint8Array(ref));
    assert.equal(r.errors, [], p.cmd);
    assert.is(r.packets.length, 1);
    const got = r.packets[0] as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(p)) {
      const g = got[k] instanceof Uint8Array ? new TextDecoder().decode(got[k] as Uint8Array) : got[k];
      assert.equal(g, v, `${p.cmd}.${k}`);
    }
  }
});

test.run();
