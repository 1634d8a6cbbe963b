// Thin wrapper over mqtt-packet: encode one packet to bytes, and a streaming decoder that turns
// socket chunks into packets. Everything MQTT-specific about bytes lives here, so the session
// deals in packet objects only.
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

/** Upper bound for a packet we are willing to buffer from the broker: we only subscribe to
 *  Home Assistant's short status topic, so anything near this is a broken or hostile peer. */
export const MAX_INBOUND_BYTES = 256 * 1024;

export function encodePacket(packet: Packet): Uint8Array {
  return mqttPacket.generate(packet);
}

export interface PacketDecoder {
  /** Feeds bytes as they arrive; calls back for every complete packet, in order. */
  push(chunk: Uint8Array): void;
}

export function createDecoder(onPacket: (p: Packet) => void, onError: (err: Error) => void): PacketDecoder {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  let failed = false;
  parser.on('packet', (p: Packet) => { if (!failed) onPacket(p); });
  parser.on('error', (err: Error) => {
    if (failed) return;
    failed = true;
    onError(err);
  });
  return {
    push(chunk) {
      if (failed) return;
      const buffered = parser.parse(chunk as Parameters<typeof parser.parse>[0]);
      if (buffered > MAX_INBOUND_BYTES && !failed) {
        failed = true;
        onError(new Error(`MQTT packet from broker exceeds ${MAX_INBOUND_BYTES} bytes`));
      }
    },
  };
}
