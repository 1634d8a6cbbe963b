// A tiny MQTT subscriber for the integration tests: raw socket + the project's codec, so a test
// knows exactly when its subscription is active (SUBACK) and sees each message's retain flag.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { createDecoder, encodePacket } from '../../src/mqtt/codec.ts';
import type { Packet } from '../../src/mqtt/codec.ts';

export interface Message {
  topic: string;
  payload: string;
  retain: boolean;
}

export interface Subscriber {
  messages: Message[];
  /** resolves with the first message (from index `from`) that matches, or rejects after timeoutMs */
  waitFor(match: (m: Message) => boolean, timeoutMs?: number, from?: number): Promise<Message>;
  publish(topic: string, payload: string | Uint8Array, retain?: boolean, qos?: 0 | 1): void;
  close(): void;
}

export interface SubscriberOptions {
  port: number;
  user: string;
  password: string;
  topics: string[];
}

export function subscribe(o: SubscriberOptions): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const messages: Message[] = [];
    const waiters = new Set<() => void>();
    let published = 0;
    const sock: Socket = connect({ host: '127.0.0.1', port: o.port });
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('subscriber: no SUBACK within 5 s')); }, 5000);
    const send = (p: Packet) => sock.write(encodePacket(p));
    const decoder = createDecoder((p) => {
      if (p.cmd === 'connack') {
        if (p.returnCode !== 0) { clearTimeout(timer); reject(new Error(`subscriber refused: ${p.returnCode}`)); return; }
        send({ cmd: 'subscribe', messageId: 1, subscriptions: o.topics.map((topic) => ({ topic, qos: 1 as const })) });
      } else if (p.cmd === 'suback') {
        clearTimeout(timer);
        resolve(api);
      } else if (p.cmd === 'publish') {
        if (p.qos === 1 && p.messageId !== undefined) send({ cmd: 'puback', messageId: p.messageId });
        const payload = typeof p.payload === 'string' ? p.payload : new TextDecoder().decode(p.payload);
        messages.push({ topic: p.topic, payload, retain: p.retain });
        for (const w of [...waiters]) w();
      }
    }, (err) => reject(err));
    sock.on('data', (b: Buffer) => decoder.push(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    sock.on('error', (err) => { clearTimeout(timer); reject(err); });
    sock.on('connect', () => send({
      cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60,
      clientId: `test-sub-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      username: o.user, password: o.password as unknown as Buffer,
    }));
    const api: Subscriber = {
      messages,
      waitFor(match, timeoutMs = 5000, from = 0) {
        return new Promise((res, rej) => {
          const check = () => {
            const m = messages.slice(from).find(match);
            if (m) { waiters.delete(check); clearTimeout(t); res(m); }
          };
          const t = setTimeout(() => { waiters.delete(check); rej(new Error(`no matching message within ${timeoutMs} ms; got ${messages.map((m) => m.topic).join(', ')}`)); }, timeoutMs);
          waiters.add(check);
          check();
        });
      },
      publish(topic, payload, retain = false, qos = 0) {
        const data = (typeof payload === 'string' ? payload : Buffer.from(payload)) as string; // mqtt-packet wants Buffers
        if (qos === 1) send({ cmd: 'publish', topic, payload: data, qos: 1, messageId: ++published, retain, dup: false });
        else send({ cmd: 'publish', topic, payload: data, qos: 0, retain, dup: false });
      },
      close() { try { send({ cmd: 'disconnect' }); } catch { /* closed */ } sock.destroy(); },
    };
  });
}
