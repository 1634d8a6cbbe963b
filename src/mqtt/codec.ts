// MQTT 3.1.1 encoder (OASIS MQTT 3.1.1, section 2 and 3), on Uint8Array only: txiki.js has no
// Buffer (docs/txiki.md). decoder.ts frames what the broker sends, parse.ts reads one packet.
// Everything MQTT-specific about bytes lives in these files; the session deals in packet objects.
import { TYPES } from './packets.ts';
import type { Bytes, Packet } from './packets.ts';

export type * from './packets.ts';

const utf8 = new TextEncoder();
const MAX_REMAINING = 268_435_455;

class Writer {
  parts: Uint8Array[] = [];
  size = 0;
  raw(b: Uint8Array): void { this.parts.push(b); this.size += b.length; }
  u8(n: number): void { this.raw(Uint8Array.of(n)); }
  u16(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new Error(`MQTT: ${n} is not a 16-bit number`);
    this.raw(Uint8Array.of(n >> 8, n & 0xff));
  }
  /** length-prefixed field (spec 1.5.3): a UTF-8 string or binary data */
  field(v: Bytes): void {
    const b = typeof v === 'string' ? utf8.encode(v) : v;
    if (b.length > 0xffff) throw new Error(`MQTT: field of ${b.length} bytes exceeds 65535`);
    this.u16(b.length);
    this.raw(b);
  }
}

function qosOf(q: number): number {
  if (q !== 0 && q !== 1 && q !== 2) throw new Error(`MQTT: invalid QoS ${q}`);
  return q;
}

function body(p: Packet, w: Writer): number {
  switch (p.cmd) {
    case 'connect': {
      w.field('MQTT'); w.u8(4);
      const will = p.will;
      let flags = p.clean ? 2 : 0;
      if (will) flags |= 4 | (qosOf(will.qos) << 3) | (will.retain ? 0x20 : 0);
      if (p.password !== undefined) {
        if (p.username === undefined) throw new Error('MQTT: a password needs a user name');
        flags |= 0x40;
      }
      if (p.username !== undefined) flags |= 0x80;
      w.u8(flags); w.u16(p.keepalive); w.field(p.clientId);
      if (will) { w.field(will.topic); w.field(will.payload); }
      if (p.username !== undefined) w.field(p.username);
      if (p.password !== undefined) w.field(p.password);
      return 0;
    }
    case 'connack': w.u8(p.sessionPresent ? 1 : 0); w.u8(p.returnCode); return 0;
    case 'publish': {
      const qos = qosOf(p.qos);
      w.field(p.topic);
      if (qos > 0) w.u16(p.messageId ?? -1);
      w.raw(typeof p.payload === 'string' ? utf8.encode(p.payload) : p.payload);
      return (p.dup ? 8 : 0) | (qos << 1) | (p.retain ? 1 : 0);
    }
    case 'subscribe':
      w.u16(p.messageId);
      if (p.subscriptions.length === 0) throw new Error('MQTT: SUBSCRIBE needs a topic');
      for (const s of p.subscriptions) { w.field(s.topic); w.u8(qosOf(s.qos)); }
      return 2;
    case 'suback':
      w.u16(p.messageId);
      for (const g of p.granted) w.u8(g);
      return 0;
    case 'unsubscribe':
      w.u16(p.messageId);
      for (const t of p.unsubscriptions) w.field(t);
      return 2;
    case 'puback': case 'pubrec': case 'pubcomp': case 'unsuback':
      w.u16(p.messageId); return 0;
    case 'pubrel': w.u16(p.messageId); return 2;
    case 'pingreq': case 'pingresp': case 'disconnect': return 0;
    default: throw new Error(`MQTT: unknown packet type ${(p as { cmd: string }).cmd}`);
  }
}

export function encodePacket(packet: Packet): Uint8Array {
  const w = new Writer();
  const flags = body(packet, w);
  if (w.size > MAX_REMAINING) throw new Error('MQTT: packet too large');
  const head = [(TYPES.indexOf(packet.cmd) << 4) | flags];
  let n = w.size;
  do { head.push((n % 128) | (n >= 128 ? 0x80 : 0)); n = Math.floor(n / 128); } while (n > 0);
  const out = new Uint8Array(head.length + w.size);
  out.set(head);
  let at = head.length;
  for (const part of w.parts) { out.set(part, at); at += part.length; }
  return out;
}

export { createDecoder, MAX_INBOUND_BYTES } from './decoder.ts';
export type { PacketDecoder, SkippedPublish } from './decoder.ts';
