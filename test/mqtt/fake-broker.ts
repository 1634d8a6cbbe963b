// A Net port whose connections end in an in-memory MQTT broker: it decodes what the client sends
// (with the project's own codec) and answers CONNACK / PUBACK / SUBACK / PINGRESP, so the session
// and publisher run unchanged with a FakeClock.
import type { ByteStream, ConnectOptions, Net } from '../../src/platform/ports.ts';
import { createDecoder, encodePacket } from '../../src/mqtt/codec.ts';
import type { Packet } from '../../src/mqtt/codec.ts';

export interface Received {
  conn: number;
  packet: Packet;
}

export class FakeConnection implements ByteStream {
  closed = false;
  private dataFn: (d: Uint8Array) => void = () => undefined;
  private closeFn: (err?: Error) => void = () => undefined;
  private readonly decoder;

  constructor(readonly id: number, broker: FakeBroker) {
    this.decoder = createDecoder((p) => broker.receive(this, p), (err) => { throw err; });
  }

  // Both directions hop through a microtask like a real socket: parsers are not re-entrant, and
  // code that only works because an answer arrived synchronously would hide bugs.
  async write(data: Uint8Array): Promise<void> {
    if (this.closed) throw new Error('EPIPE: socket closed');
    const copy = new Uint8Array(data);
    await null;
    if (!this.closed && copy.length > 0) this.decoder.push(copy);
  }
  onData(fn: (d: Uint8Array) => void): void { this.dataFn = fn; }
  onClose(fn: (err?: Error) => void): void { this.closeFn = fn; }
  close(): void { this.closed = true; }

  /** broker side: send a packet to the client */
  deliver(p: Packet): void {
    const bytes = encodePacket(p);
    queueMicrotask(() => { if (!this.closed) this.dataFn(bytes); });
  }
  /** broker side: send raw bytes (garbage, huge packets in chunks) */
  deliverBytes(bytes: Uint8Array): void {
    const copy = new Uint8Array(bytes);
    queueMicrotask(() => { if (!this.closed) this.dataFn(copy); });
  }
  /** broker side: drop the connection */
  kill(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeFn(err);
  }
}

export class FakeBroker implements Net {
  readonly received: Received[] = [];
  readonly connections: FakeConnection[] = [];
  readonly connectCalls: ConnectOptions[] = [];
  /** error for net.connect (e.g. ECONNREFUSED); null = accept */
  refuseWith: Error | null = null;
  connackCode = 0;
  answerPings = true;
  ackPublishes = true;

  async connect(opts: ConnectOptions): Promise<ByteStream> {
    this.connectCalls.push(opts);
    if (this.refuseWith) throw this.refuseWith;
    const c = new FakeConnection(this.connections.length + 1, this);
    this.connections.push(c);
    return c;
  }

  receive(conn: FakeConnection, p: Packet): void {
    this.received.push({ conn: conn.id, packet: p });
    switch (p.cmd) {
      case 'connect': conn.deliver({ cmd: 'connack', returnCode: this.connackCode, sessionPresent: false }); break;
      case 'publish': if (p.qos === 1 && this.ackPublishes) conn.deliver({ cmd: 'puback', messageId: p.messageId! }); break;
      case 'subscribe': conn.deliver({ cmd: 'suback', messageId: p.messageId, granted: p.subscriptions.map((s) => s.qos) }); break;
      case 'pingreq': if (this.answerPings) conn.deliver({ cmd: 'pingresp' }); break;
      default: break;
    }
  }

  get last(): FakeConnection | undefined { return this.connections[this.connections.length - 1]; }

  /** the client's packets of one kind, optionally only on one connection */
  packets(cmd: Packet['cmd'], conn?: number): Packet[] {
    return this.received.filter((r) => r.packet.cmd === cmd && (conn === undefined || r.conn === conn)).map((r) => r.packet);
  }

  /** PUBLISH packets as [topic, payload] in the order the client sent them */
  publishes(conn?: number): { topic: string; payload: string; retain: boolean; qos: number }[] {
    return this.packets('publish', conn).map((p) => {
      const pub = p as Extract<Packet, { cmd: 'publish' }>;
      const payload = typeof pub.payload === 'string' ? pub.payload : new TextDecoder().decode(pub.payload);
      return { topic: pub.topic, payload, retain: pub.retain, qos: pub.qos };
    });
  }
}

/** Lets promise callbacks (connect, writes) run; the fake clock drives timers separately. */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

/** Advances a FakeClock in steps, letting the fake network answer in between (a broker's
 *  PINGRESP cannot arrive while one long advance() fires every timer at once). */
export async function advance(clock: { advance(ms: number): void }, ms: number, stepMs = 500): Promise<void> {
  for (let left = ms; left > 0; left -= stepMs) {
    clock.advance(Math.min(stepMs, left));
    await settle();
  }
}
