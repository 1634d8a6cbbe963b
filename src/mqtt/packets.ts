// MQTT 3.1.1 packet objects as the session and the codec (codec.ts, parse.ts) exchange them.
// Binary fields are Uint8Array (txiki.js has no Buffer); strings are UTF-8 on the wire.
export type Bytes = string | Uint8Array;
export type QoS = 0 | 1 | 2;

export interface IConnectPacket {
  cmd: 'connect'; protocolId: 'MQTT'; protocolVersion: 4; clean: boolean; clientId: string; keepalive: number;
  username?: string; password?: Bytes;
  will?: { topic: string; payload: Bytes; qos: QoS; retain: boolean };
}
export interface IConnackPacket { cmd: 'connack'; returnCode: number; sessionPresent: boolean }
export interface IPublishPacket {
  cmd: 'publish'; topic: string; payload: Bytes; qos: QoS; retain: boolean; dup: boolean; messageId?: number;
}
export interface IPubackPacket { cmd: 'puback'; messageId: number }
export interface IIdPacket { cmd: 'pubrec' | 'pubrel' | 'pubcomp' | 'unsuback'; messageId: number }
export interface ISubscribePacket { cmd: 'subscribe'; messageId: number; subscriptions: { topic: string; qos: QoS }[] }
export interface ISubackPacket { cmd: 'suback'; messageId: number; granted: number[] }
export interface IUnsubscribePacket { cmd: 'unsubscribe'; messageId: number; unsubscriptions: string[] }
export interface IBarePacket { cmd: 'pingreq' | 'pingresp' | 'disconnect' }

export type Packet = IConnectPacket | IConnackPacket | IPublishPacket | IPubackPacket | IIdPacket
  | ISubscribePacket | ISubackPacket | IUnsubscribePacket | IBarePacket;

/** Fixed-header packet type numbers (spec 2.2.1), index = type. */
export const TYPES = ['', 'connect', 'connack', 'publish', 'puback', 'pubrec', 'pubrel', 'pubcomp',
  'subscribe', 'suback', 'unsubscribe', 'unsuback', 'pingreq', 'pingresp', 'disconnect'] as const;
