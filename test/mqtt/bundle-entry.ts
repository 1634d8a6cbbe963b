// Entry for the bundle test: the MQTT code bundled like dist/wanpulse.js, run where neither
// `Buffer` nor `process` exists (as on txiki.js). Prints one JSON line with what it saw.
import { createDecoder, encodePacket } from '../../src/mqtt/codec.ts';
import type { Packet } from '../../src/mqtt/codec.ts';
import { createMqttPublisher } from '../../src/mqtt/publisher.ts';
import { memoryLog } from '../../src/platform/log.ts';
import { FakeClock } from '../fakes/clock.ts';
import { FakeBroker } from './fake-broker.ts';
import { snapshot, uplink } from './sample.ts';

const tick = () => new Promise<void>((r) => setTimeout(r, 0));
const globals = { Buffer: typeof (globalThis as Record<string, unknown>).Buffer, process: typeof (globalThis as Record<string, unknown>).process };
const got: Packet[] = [];
createDecoder((p) => got.push(p), () => undefined).push(encodePacket({ cmd: 'publish', topic: 't/x', payload: 'héllo', qos: 1, messageId: 300, retain: true, dup: false }));
const pub0 = got[0] as Extract<Packet, { cmd: 'publish' }>;

const broker = new FakeBroker();
const clock = new FakeClock();
const fs = { readText: async () => 'pw\n' } as never;
const pub = createMqttPublisher({ net: broker, clock, log: memoryLog(), fs }, {
  enabled: true, host: 'h', port: 1, tls: false, tlsInsecure: false, username: 'u', passwordFile: '/p', clientId: 'c',
  baseTopic: 'b', discovery: true, discoveryPrefix: 'homeassistant', publishIntervalMs: 0, keepaliveS: 30,
}, { version: '1', routerId: 'r', policies: [] });
pub.publishStatus(snapshot([uplink('wg0')]));
pub.start();
for (let i = 0; i < 20; i++) await tick();
console.log(JSON.stringify({
  globals,
  roundtrip: { topic: pub0.topic, payload: new TextDecoder().decode(pub0.payload as Uint8Array), messageId: pub0.messageId },
  connected: pub.state().connected,
  topics: broker.publishes().map((p) => p.topic),
}));
await pub.stop();
