import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDecoder, encodePacket, MAX_INBOUND_BYTES } from '../../src/mqtt/codec.ts';
import type { Packet, SkippedPublish } from '../../src/mqtt/codec.ts';

function collect() {
  const packets: Packet[] = [];
  const errors: string[] = [];
  const skipped: SkippedPublish[] = [];
  const d = createDecoder((p) => packets.push(p), (e) => errors.push(e.message), (s) => skipped.push(s));
  return { d, packets, errors, skipped };
}

/** the fixed header and variable header of a PUBLISH announcing `bytes` remaining bytes */
function publishHead(topic: string, bytes: number, qos: 0 | 1, messageId = 0): Uint8Array {
  const len: number[] = [];
  let n = bytes;
  do { let b = n % 128; n = Math.floor(n / 128); if (n > 0) b |= 0x80; len.push(b); } while (n > 0);
  const t = new TextEncoder().encode(topic);
  const head = [0x30 | (qos << 1) | 1, ...len, t.length >> 8, t.length & 0xff, ...t];
  if (qos > 0) head.push(messageId >> 8, messageId & 0xff);
  return new Uint8Array(head);
}

test('packets split at every byte still decode, in order', () => {
  const { d, packets, errors } = collect();
  const a = encodePacket({ cmd: 'publish', topic: 'homeassistant/status', payload: 'online', qos: 1, messageId: 5, retain: false, dup: false });
  const b = encodePacket({ cmd: 'pingresp' });
  const c = encodePacket({ cmd: 'suback', messageId: 2, granted: [1] });
  const all = new Uint8Array([...a, ...b, ...c]);
  for (let i = 0; i < all.length; i++) d.push(all.subarray(i, i + 1));
  assert.equal(errors, []);
  assert.equal(packets.map((p) => p.cmd), ['publish', 'pingresp', 'suback']);
});

test('a 10 MB retained PUBLISH is skipped (topic and id kept), and the next packet still decodes', () => {
  const { d, packets, errors, skipped } = collect();
  const size = 10 * 1024 * 1024;
  const head = publishHead('homeassistant/status', size, 1, 4242);
  d.push(head);
  const chunk = new Uint8Array(64 * 1024).fill(0x41);

  let left = size - (2 + 'homeassistant/status'.length + 2);
  while (left > 0) { const n = Math.min(left, chunk.length); d.push(chunk.subarray(0, n)); left -= n; }
  assert.equal(skipped, [{ topic: 'homeassistant/status', qos: 1, messageId: 4242, bytes: size }]);
  d.push(encodePacket({ cmd: 'publish', topic: 'homeassistant/status', payload: 'online', qos: 0, retain: false, dup: false }));
  assert.equal(errors, []);
  assert.is(packets.length, 1);
  assert.is((packets[0] as Extract<Packet, { cmd: 'publish' }>).topic, 'homeassistant/status');
});

test('a PUBLISH announcing 256 MB streams past without being buffered', () => {
  const { d, errors, skipped } = collect();
  const size = 256 * 1024 * 1024 - 1;
  d.push(publishHead('t', size, 0));
  const chunk = new Uint8Array(256 * 1024);
  const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  let left = size - 3;
  while (left > 0) { const n = Math.min(left, chunk.length); d.push(chunk.subarray(0, n)); left -= n; }
  const grown = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 32 * 1024 * 1024, `memory grew by ${grown} bytes`);
  assert.equal(errors, []);
  assert.equal(skipped.map((s) => [s.topic, s.bytes]), [['t', size]]);
});

test('the topic of a skipped PUBLISH may arrive byte by byte', () => {
  const { d, skipped } = collect();
  const size = MAX_INBOUND_BYTES + 100;
  const head = publishHead('a/b', size, 1, 7);
  for (const b of head) d.push(new Uint8Array([b]));
  d.push(new Uint8Array(size - 7));
  assert.equal(skipped, [{ topic: 'a/b', qos: 1, messageId: 7, bytes: size }]);
});

test('an oversized packet other than PUBLISH, or a malformed length, is an error, reported once', () => {
  const big = collect();
  big.d.push(new Uint8Array([0x90, 0xff, 0xff, 0xff, 0x7f])); // SUBACK of 256 MB
  big.d.push(new Uint8Array(1024));
  assert.is(big.errors.length, 1);
  assert.match(big.errors[0]!, String(MAX_INBOUND_BYTES));
  const bad = collect();
  bad.d.push(new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]));
  assert.equal(bad.errors, ['MQTT packet from broker has a malformed length']);
});

test('a packet just under the limit is decoded whole', () => {
  const { d, packets, errors } = collect();
  const payload = 'x'.repeat(MAX_INBOUND_BYTES - 100);
  d.push(encodePacket({ cmd: 'publish', topic: 't', payload, qos: 0, retain: true, dup: false }));
  assert.equal(errors, []);
  assert.is(packets.length, 1);
});

test.run();
