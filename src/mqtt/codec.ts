// Thin wrapper over mqtt-packet: encode one packet to bytes (decoder.ts turns socket chunks into
// packets). Everything MQTT-specific about bytes lives in these two files, so the session deals
// in packet objects only.
import * as mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';

// mqtt-packet pre-builds a 65 536-entry Buffer cache for 16-bit numbers on first use. On txiki.js
// that cost ~190 ms and grew memory from 14 to 50 MB (design/txiki-runtime.md); building each
// number on the fly is cheap for the few packets a status publisher sends.
mqttPacket.writeToStream.cacheNumbers = false;

export type { Packet };
export type {
  IConnackPacket, IConnectPacket, IPublishPacket, IPubackPacket, ISubackPacket,
} from 'mqtt-packet';

export function encodePacket(packet: Packet): Uint8Array {
  return mqttPacket.generate(packet);
}

export { createDecoder, MAX_INBOUND_BYTES } from './decoder.ts';
export type { PacketDecoder, SkippedPublish } from './decoder.ts';
