// One open connection to the broker: packets in (through the streaming decoder) and packets out
// (encoded, with a count of bytes handed to the socket but not yet written). After close() or
// the first failure nothing of this connection reaches the session any more, so late callbacks
// of an old socket cannot disturb the next one.
import type { ByteStream, Log } from '../platform/ports.ts';
import { createDecoder, encodePacket } from './codec.ts';
import type { Packet, SkippedPublish } from './codec.ts';
import { describeError } from './errors.ts';

/** how a connection ended: the socket's error (none = closed by the peer), or a protocol fault */
export interface TransportEnd {
  err?: Error;
  protocol?: string;
}

export interface TransportEvents {
  onPacket(p: Packet): void;
  /** a PUBLISH too big to buffer went past unread (decoder.ts) */
  onSkipped(s: SkippedPublish): void;
  /** bytes arrived: the broker is alive even while a long packet streams in */
  onActivity(): void;
  /** the connection ended or failed; called at most once, never after close() */
  onEnd(end: TransportEnd): void;
}

export interface Transport {
  /** false when the packet could not be encoded (logged) */
  send(packet: Packet): boolean;
  /** bytes handed to the socket and not yet written */
  pendingBytes(): number;
  /** resolves when the last write so far has finished (or failed) */
  flushed(): Promise<void>;
  close(): void;
}

export function openTransport(s: ByteStream, where: string, log: Log, events: TransportEvents): Transport {
  let open = true;
  let pending = 0;
  let lastWrite: Promise<void> = Promise.resolve();

  function end(how: TransportEnd): void {
    if (!open) return;
    close();
    events.onEnd(how);
  }

  function close(): void {
    if (!open) return;
    open = false;
    pending = 0;
    try { s.close(); } catch { /* already closed */ }
  }

  const decoder = createDecoder(
    (p) => { if (open) events.onPacket(p); },
    (err) => end({ protocol: `bad packet from broker: ${err.message}` }),
    (skipped) => { if (open) events.onSkipped(skipped); },
  );
  s.onData((chunk) => { if (open) { events.onActivity(); decoder.push(chunk); } });
  s.onClose((err) => { if (open) end(err ? { err } : {}); });

  return {
    send(packet) {
      if (!open) return false;
      let bytes: Uint8Array;
      try {
        bytes = encodePacket(packet);
      } catch (err) {
        log.error(`MQTT ${where}: cannot encode ${packet.cmd} packet: ${describeError(err, false)}`);
        return false;
      }
      pending += bytes.length;
      lastWrite = s.write(bytes).then(
        () => { if (open) pending -= bytes.length; },
        (err: unknown) => { if (open) { pending -= bytes.length; end({ err: err instanceof Error ? err : new Error(String(err)) }); } },
      );
      return true;
    },
    pendingBytes: () => pending,
    flushed: () => lastWrite,
    close,
  };
}
