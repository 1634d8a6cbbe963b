// What an MQTT session says in the log. A broker that is down, refusing or flapping would
// otherwise produce a line per attempt: each kind of failure is said once (at warn, with the
// next retry delay) until a connection has stayed up (stable), repeats go to debug, even when
// two kinds take turns. A line says when it works again. A run of connections that the broker accepts and then closes is
// what a second client with the same client id causes (each connect knocks the other off):
// that is said once, in those words. So is each topic on which a message too big to read went by.
import type { Log } from '../platform/ports.ts';
import { MAX_INBOUND_BYTES } from './decoder.ts';
import { shown } from './errors.ts';
import type { Failure } from './errors.ts';

/** accepted-then-closed connections in a row before the log blames a duplicate client id */
export const DUPLICATE_AFTER = 3;
/** kinds remembered per episode; beyond this many, new kinds go to debug too */
const MAX_KINDS = 32;
/** topics whose oversized messages were said at warn; more go to debug */
const MAX_SKIPPED_TOPICS = 16;

export interface FailureLog {
  /** logs the failure (or not) and returns the text to show as the session's last error */
  failed(f: Failure, retryMs: number): string;
  connected(): void;
  /** the connection stayed up long enough to count as working */
  stable(): void;
  /** a message too big to read was skipped (once per topic at warn) */
  skipped(topic: string, bytes: number): void;
}

export function createFailureLog(log: Log, where: string, clientId: string, tls: boolean): FailureLog {
  const said = new Set<string>();
  const skippedTopics = new Set<string>();
  let lastLine: 'connected' | 'failure' | null = null;
  let quickCloses = 0;
  let suppressedConnects = 0;
  let wasConnected = false;

  function duplicate(): Failure {
    return {
      kind: 'duplicate-client-id',
      text: `MQTT broker ${where} accepted and then closed the connection ${quickCloses} times in a row: most likely `
        + `another client uses the client id ${JSON.stringify(clientId)} (the broker drops the older one). `
        + 'Give each router its own client_id',
    };
  }

  return {
    failed(f, retryMs) {
      if (wasConnected && f.closedByBroker) quickCloses++;
      else if (wasConnected || !f.kind.startsWith('connect:')) quickCloses = 0;
      wasConnected = false;
      const shownFailure = quickCloses >= DUPLICATE_AFTER ? duplicate() : f;
      const line = `${shownFailure.text}; retrying in ${(retryMs / 1000).toFixed(1)} s`;
      if (said.has(shownFailure.kind) || said.size >= MAX_KINDS) {
        log.debug(() => line);
      } else {
        log.warn(line);
        said.add(shownFailure.kind);
        lastLine = 'failure';
      }
      return shownFailure.text;
    },
    connected() {
      wasConnected = true;
      const line = `MQTT connected to ${where} as ${clientId}${tls ? ' (TLS)' : ''}`;
      if (lastLine === 'connected') { suppressedConnects++; log.debug(() => line); return; }
      log.info(line);
      lastLine = 'connected';
    },
    stable() {
      if (suppressedConnects > 0) log.info(`MQTT connection to ${where} has stayed up: the repeated drops have stopped`);
      said.clear();
      lastLine = 'connected';
      quickCloses = 0;
      suppressedConnects = 0;
    },
    skipped(topic, bytes) {
      const line = `MQTT broker ${where} sent a ${bytes}-byte message on ${shown(topic)}, more than the ${MAX_INBOUND_BYTES} bytes wanpulse reads: skipped it`;
      if (skippedTopics.has(topic) || skippedTopics.size >= MAX_SKIPPED_TOPICS) { log.debug(() => line); return; }
      skippedTopics.add(topic);
      log.warn(`${line} (said once per topic)`);
    },
  };
}
