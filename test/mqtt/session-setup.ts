// A session on the in-memory FakeBroker with a FakeClock, recording its events and messages.
import { createMqttSession } from '../../src/mqtt/session.ts';
import type { SessionOptions } from '../../src/mqtt/session.ts';
import { memoryLog } from '../../src/platform/log.ts';
import { FakeClock } from '../fakes/clock.ts';
import { FakeBroker } from './fake-broker.ts';

export const SECRET = 'hunter2-very-secret';

export function setup(over: Partial<SessionOptions> = {}, random = () => 1) {
  const clock = new FakeClock();
  const broker = new FakeBroker();
  const log = memoryLog();
  const events: string[] = [];
  const messages: { topic: string; payload: string; retained: boolean }[] = [];
  const session = createMqttSession({ net: broker, clock, log, random }, {
    host: '127.0.0.1', port: 1883, tls: false, tlsInsecure: false, clientId: 'wanpulse-r1', username: 'wan',
    keepaliveS: 30, will: { topic: 'wanpulse/r1/status', payload: 'offline', qos: 1, retain: true },
    loadSecrets: async () => ({ password: SECRET }),
    ...over,
  }, {
    onConnected: () => events.push('connected'),
    onDisconnected: (r) => events.push(`disconnected: ${r}`),
    onMessage: (topic, payload, retained) => messages.push({ topic, payload, retained }),
  });
  return { clock, broker, log, events, messages, session };
}
