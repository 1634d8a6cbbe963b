// Reads one complete MQTT 3.1.1 packet (fixed-header byte + remaining bytes, framed by
// decoder.ts) into a packet object. Anything the spec calls malformed throws an Error with a
// clear message: reserved flag bits, unknown types, bad lengths, invalid UTF-8, bad QoS.
import { TYPES } from './packets.ts';
import type { Packet, QoS } from './packets.ts';

const strict = new TextDecoder('utf-8', { fatal: true });

class Reader {
  at = 0;
  constructor(readonly b: Uint8Array, readonly what: string) {}
  need(n: number): void { if (this.at + n > this.b.length) throw this.bad('is truncated'); }
  bad(why: string): Error { return new Error(`MQTT ${this.what} packet from broker ${why}`); }
  u8(): number { this.need(1); return this.b[this.at++]!; }
  u16(): number { this.need(2); const n = (this.b[this.at]! << 8) | this.b[this.at + 1]!; this.at += 2; return n; }
  id(): number { const n = this.u16(); if (n === 0) throw this.bad('has packet identifier 0'); return n; }
  bytes(): Uint8Array { const n = this.u16(); this.need(n); const v = this.b.slice(this.at, this.at + n); this.at += n; return v; }
  str(): string {
    let s: string;
    try { s = strict.decode(this.bytes()); } catch (e) {
      if (e instanceof Error && e.message.startsWith('MQTT')) throw e;
      throw this.bad('has a string that is not valid UTF-8');
    }
    if (s.includes('\u0000')) throw this.bad('has a string containing U+0000');
    return s;
  }
  rest(): Uint8Array { const v = this.b.slice(this.at); this.at = this.b.length; return v; }
  end(): void { if (this.at !== this.b.length) throw this.bad('has trailing bytes'); }
  more(): boolean { return this.at < this.b.length; }
}

function qos(r: Reader, n: number): QoS {
  if (n > 2) throw r.bad(`has invalid QoS ${n}`);
  return n as QoS;
}

export function parsePacket(first: number, body: Uint8Array): Packet {
  const type = first >> 4;
  const flags = first & 15;
  const cmd = TYPES[type];
  if (!cmd) throw new Error(`MQTT packet from broker has reserved type ${type}`);
  const r = new Reader(body, cmd.toUpperCase());
  const wantFlags = cmd === 'pubrel' || cmd === 'subscribe' || cmd === 'unsubscribe' ? 2 : 0;
  if (cmd !== 'publish' && flags !== wantFlags) throw r.bad(`has reserved flag bits ${flags}`);
  let p: Packet;
  switch (cmd) {
    case 'connect': {
      if (r.str() !== 'MQTT' || r.u8() !== 4) throw r.bad('is not MQTT 3.1.1');
      const f = r.u8();
      if (f & 1) throw r.bad('sets the reserved connect flag');
      const keepalive = r.u16();
      const clientId = r.str();
      const c: Packet = { cmd, protocolId: 'MQTT', protocolVersion: 4, clean: (f & 2) !== 0, clientId, keepalive };
      if (f & 4) c.will = { topic: r.str(), payload: r.bytes(), qos: qos(r, (f >> 3) & 3), retain: (f & 0x20) !== 0 };
      else if (f & 0x38) throw r.bad('sets will flags without a will');
      if (f & 0x80) c.username = r.str();
      if (f & 0x40) { if (!(f & 0x80)) throw r.bad('has a password without a user name'); c.password = r.bytes(); }
      p = c;
      break;
    }
    case 'connack': {
      const f = r.u8();
      if (f & 0xfe) throw r.bad('has reserved acknowledge flags');
      p = { cmd, sessionPresent: f === 1, returnCode: r.u8() };
      break;
    }
    case 'publish': {
      const q = qos(r, (flags >> 1) & 3);
      if (q === 0 && flags & 8) throw r.bad('sets DUP on QoS 0');
      const topic = r.str();
      if (/[#+]/.test(topic)) throw r.bad('has a wildcard in its topic');
      const pub: Packet = { cmd, topic, payload: new Uint8Array(0), qos: q, retain: (flags & 1) !== 0, dup: (flags & 8) !== 0 };
      if (q > 0) pub.messageId = r.id();
      pub.payload = r.rest();
      p = pub;
      break;
    }
    case 'puback': case 'pubrec': case 'pubrel': case 'pubcomp': case 'unsuback':
      p = { cmd, messageId: r.id() };
      break;
    case 'subscribe': {
      const messageId = r.id();
      const subscriptions: { topic: string; qos: QoS }[] = [];
      do {
        const topic = r.str();
        const o = r.u8();
        if (o & 0xfc) throw r.bad('has reserved option bits');
        subscriptions.push({ topic, qos: qos(r, o) });
      } while (r.more());
      p = { cmd, messageId, subscriptions };
      break;
    }
    case 'suback': {
      const messageId = r.id();
      const granted: number[] = [];
      do {
        const g = r.u8();
        if (g > 2 && g !== 0x80) throw r.bad(`has invalid return code ${g}`);
        granted.push(g);
      } while (r.more());
      p = { cmd, messageId, granted };
      break;
    }
    case 'unsubscribe': {
      const messageId = r.id();
      const unsubscriptions: string[] = [];
      do unsubscriptions.push(r.str()); while (r.more());
      p = { cmd, messageId, unsubscriptions };
      break;
    }
    default:
      p = { cmd };
  }
  r.end();
  return p;
}
