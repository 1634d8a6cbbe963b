import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodePacket } from '../../src/mqtt/codec.ts';
import type { Packet } from '../../src/mqtt/codec.ts';
import { openTransport } from '../../src/mqtt/transport.ts';
import type { TransportEnd } from '../../src/mqtt/transport.ts';
import { memoryLog } from '../../src/platform/log.ts';
import type { ByteStream } from '../../src/platform/ports.ts';

/** a ByteStream whose peer the test plays; writes resolve or fail when the test says */
function stream() {
  let data: (d: Uint8Array) => void = () => undefined;
  let close: (err?: Error) => void = () => undefined;
  const writes: { bytes: Uint8Array; done: () => void; fail: (e: Error) => void }[] = [];
  let closed = 0;
  const s: ByteStream = {
    write: (bytes) => new Promise((done, fail) => { writes.push({ bytes, done, fail }); }),
    onData: (fn) => { data = fn; },
    onClose: (fn) => { close = fn; },
    close: () => { closed++; },
  };
  return { s, writes, peer: { send: (d: Uint8Array) => data(d), close: (e?: Error) => close(e) }, closed: () => closed };
}

function open() {
  const st = stream();
  const log = memoryLog();
  const got: Packet[] = [];
  const ends: TransportEnd[] = [];
  let activity = 0;
  const t = openTransport(st.s, '127.0.0.1:1883', log, {
    onPacket: (p) => got.push(p), onSkipped: () => undefined, onEnd: (e) => ends.push(e), onActivity: () => { activity++; },
  });
  return { ...st, log, got, ends, t, activity: () => activity };
}

test('packets in, bytes out, with the bytes not yet written counted', async () => {
  const o = open();
  o.peer.send(encodePacket({ cmd: 'pingresp' }));
  assert.equal(o.got.map((p) => p.cmd), ['pingresp']);
  assert.is(o.activity(), 1);
  assert.ok(o.t.send({ cmd: 'pingreq' }));
  assert.is(o.t.pendingBytes(), 2);
  o.writes[0]!.done();
  await o.t.flushed();
  assert.is(o.t.pendingBytes(), 0);
});

test('the first end is reported once; nothing of the old socket reaches the session afterwards', async () => {
  const o = open();
  o.peer.close(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
  o.peer.close();
  o.peer.send(encodePacket({ cmd: 'pingresp' }));
  assert.is(o.ends.length, 1);
  assert.is((o.ends[0]!.err as { code?: string }).code, 'ECONNRESET');
  assert.equal(o.got, []);
  assert.is(o.t.send({ cmd: 'pingreq' }), false);
  assert.is(o.closed(), 1);
});

test('a failed write and garbage from the peer end the connection; close() itself reports nothing', async () => {
  const w = open();
  w.t.send({ cmd: 'pingreq' });
  w.writes[0]!.fail(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  await w.t.flushed();
  assert.is((w.ends[0]!.err as { code?: string }).code, 'EPIPE');
  const g = open();
  g.peer.send(new Uint8Array([0xf0, 0x00]));
  assert.match(g.ends[0]!.protocol!, 'bad packet from broker');
  const c = open();
  c.t.close();
  c.peer.close();
  assert.equal(c.ends, []);
});

test('a packet that cannot be encoded is logged with the broker, not sent', () => {
  const o = open();
  assert.is(o.t.send({ cmd: 'publish', topic: 'a', payload: 'x', qos: 1, retain: false, dup: false } as Packet), false);
  assert.equal(o.writes, []);
  assert.match(o.log.lines[0]!, 'error: MQTT 127.0.0.1:1883: cannot encode publish packet');
});

test.run();
