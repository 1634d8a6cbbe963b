// The CONNECT a session sends: MQTT 3.1.1, clean session, keepalive, credentials and last will.
// It carries the password, so it never goes into a log line or an error text.
import type { Packet } from './codec.ts';
import type { Secrets, SessionOptions } from './session-types.ts';

export function connectPacket(opts: SessionOptions, secrets: Secrets): Packet {
  return {
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: true,
    clientId: opts.clientId,
    keepalive: Math.max(0, Math.min(65535, Math.round(opts.keepaliveS))),
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    // MQTT 3.1.1 allows a password only together with a user name.
    ...(secrets.password !== undefined && opts.username !== undefined ? { password: secrets.password } : {}),
    will: { topic: opts.will.topic, payload: opts.will.payload, qos: opts.will.qos, retain: opts.will.retain },
  };
}
