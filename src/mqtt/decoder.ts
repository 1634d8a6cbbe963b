// Streaming decoder for what the broker sends. It frames packets itself (fixed header: type and
// remaining length), so it knows each packet's size before buffering any of it:
// - a packet up to MAX_INBOUND_BYTES is collected and read by parse.ts into a Packet;
// - a PUBLISH above it is skipped as it streams past: only its topic and message id are kept
//   (at most 64 KiB), so a 10 MB retained message on a subscribed topic costs no memory and does
//   not end the session (anyone allowed to publish there could otherwise keep us reconnecting);
// - any other packet above it, or a malformed length, is an error: the peer is not a broker.
import { parsePacket } from './parse.ts';
import type { Packet } from './packets.ts';

/** Upper bound for a packet we are willing to buffer from the broker: we only subscribe to
 *  Home Assistant's short status topic, so anything near this is a broken or hostile peer. */
export const MAX_INBOUND_BYTES = 256 * 1024;

export interface SkippedPublish {
  /** as far as it could be read ('' when the packet ended first) */
  topic: string;
  qos: number;
  /** present for QoS 1 and 2: the broker waits for its acknowledgement */
  messageId?: number;
  /** remaining length announced by the header */
  bytes: number;
}

export interface PacketDecoder {
  /** Feeds bytes as they arrive; calls back for every complete packet, in order. */
  push(chunk: Uint8Array): void;
}

const PUBLISH = 3;

export function createDecoder(
  onPacket: (p: Packet) => void,
  onError: (err: Error) => void,
  onSkipped: (s: SkippedPublish) => void = () => undefined,
): PacketDecoder {
  let failed = false;

  function fail(err: Error): void {
    if (failed) return;
    failed = true;
    onError(err);
  }

  // fixed header being read
  const header = new Uint8Array(5);
  let headerLen = 0;
  let length = 0;
  let multiplier = 1;
  // the packet being passed through (mode 'pass') or skipped (mode 'skip')
  let mode: 'header' | 'pass' | 'skip' = 'header';
  let left = 0;
  // the packet being collected in mode 'pass'
  let first = 0;
  let body = new Uint8Array(0);

  function deliver(): void {
    mode = 'header';
    let p: Packet;
    try { p = parsePacket(first, body); } catch (err) { fail(err as Error); return; }
    onPacket(p);
  }
  // the start of a skipped PUBLISH: topic length, topic, message id
  let skip: { qos: number; bytes: number; head: Uint8Array; have: number; want: number } | null = null;

  function headerDone(): void {
    const type = header[0]! >> 4;
    if (length <= MAX_INBOUND_BYTES) {
      first = header[0]!;
      body = new Uint8Array(length);
      mode = 'pass';
      left = length;
      if (left === 0) deliver();
    } else if (type === PUBLISH) {
      const qos = (header[0]! >> 1) & 3;
      skip = { qos, bytes: length, head: new Uint8Array(Math.min(length, 2 + 65_535 + 2)), have: 0, want: 2 };
      mode = 'skip';
      left = length;
    } else {
      fail(new Error(`MQTT packet of type ${type} from broker announces ${length} bytes, more than the limit of ${MAX_INBOUND_BYTES}`));
    }
    headerLen = 0;
    length = 0;
    multiplier = 1;
  }

  /** Keeps the first bytes of a skipped PUBLISH until its topic (and message id) are known. */
  function skipHead(chunk: Uint8Array): void {
    const s = skip!;
    let off = 0;
    while (s.have < s.want && off < chunk.length) {
      const n = Math.min(s.want - s.have, chunk.length - off);
      s.head.set(chunk.subarray(off, off + n), s.have);
      s.have += n;
      off += n;
      if (s.have === 2 && s.want === 2) s.want = Math.min(s.head.length, 2 + ((s.head[0]! << 8) | s.head[1]!) + (s.qos > 0 ? 2 : 0));
    }
  }

  function skipDone(): void {
    const s = skip!;
    skip = null;
    mode = 'header';
    const topicLen = s.have >= 2 ? (s.head[0]! << 8) | s.head[1]! : 0;
    const topicEnd = Math.min(2 + topicLen, s.have);
    const topic = s.have > 2 ? new TextDecoder().decode(s.head.subarray(2, topicEnd)) : '';
    const result: SkippedPublish = { topic, qos: s.qos, bytes: s.bytes };
    if (s.qos > 0 && s.have >= 2 + topicLen + 2) result.messageId = (s.head[2 + topicLen]! << 8) | s.head[3 + topicLen]!;
    onSkipped(result);
  }

  return {
    push(chunk) {
      let at = 0;
      while (at < chunk.length && !failed) {
        if (mode === 'header') {
          const b = chunk[at++]!;
          header[headerLen++] = b;
          if (headerLen === 1) continue;
          length += (b & 0x7f) * multiplier;
          multiplier *= 128;
          if (b & 0x80) {
            if (headerLen === 5) fail(new Error('MQTT packet from broker has a malformed length'));
            continue;
          }
          headerDone();
        } else {
          const n = Math.min(left, chunk.length - at);
          const part = chunk.subarray(at, at + n);
          at += n;
          left -= n;
          if (mode === 'pass') body.set(part, body.length - left - n);
          else skipHead(part);
          if (left === 0) { if (mode === 'skip') skipDone(); else deliver(); }
        }
      }
    },
  };
}
