// One MQTT 3.1.1 client session over the platform's Net port: connect with a last will, keepalive
// pings, QoS 1 acknowledgements, and reconnect with jittered exponential backoff.
//
// Invariants:
// - Nothing here blocks or throws into the caller: publish() hands bytes to the socket and returns
//   at once (false when not connected or the socket is congested); all failures end up as a log
//   line, `lastError()` and a scheduled reconnect.
// - The password and the CONNECT packet never reach a log line or an error text.
// - Memory stays bounded: unacknowledged QoS 1 packets are forgotten on disconnect (the publisher
//   re-publishes all retained state after every connect), and writes stop being accepted above
//   MAX_PENDING_BYTES.
import type { Clock, ByteStream, Log, Net, TimerHandle } from '../platform/ports.ts';
import { createDecoder, encodePacket } from './codec.ts';
import type { Packet } from './codec.ts';

export interface WillMessage {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

export interface Secrets {
  password?: string;
  caPem?: string;
}

export interface SessionOptions {
  host: string;
  port: number;
  tls: boolean;
  tlsInsecure: boolean;
  clientId: string;
  username?: string;
  keepaliveS: number;
  will: WillMessage;
  /** read on every connect attempt, so a fixed password_file or CA file is picked up */
  loadSecrets: () => Promise<Secrets>;
  connectTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** a connection that lasted this long resets the backoff */
  stableAfterMs?: number;
}

export interface SessionHandlers {
  /** CONNACK accepted; publish retained state and subscribe from here */
  onConnected(): void;
  onDisconnected(reason: string): void;
  onMessage(topic: string, payload: string, retained: boolean): void;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain: boolean;
}

export interface MqttSession {
  start(): void;
  isConnected(): boolean;
  lastError(): string | null;
  /** false when not connected or the socket is congested: the caller keeps the value for later */
  publish(topic: string, payload: string, opts: PublishOptions): boolean;
  subscribe(topic: string, qos: 0 | 1): boolean;
  /** Publishes `last` (QoS 1, waits for its PUBACK), sends DISCONNECT and closes, within budgetMs. */
  stop(last?: WillMessage, budgetMs?: number): Promise<void>;
}

export interface SessionDeps {
  net: Net;
  clock: Clock;
  log: Log;
  random?: () => number;
}

/** Above this many bytes handed to the socket but not yet written, publish() refuses. */
export const MAX_PENDING_BYTES = 256 * 1024;
const MAX_INFLIGHT = 1000;

const CONNACK_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version (the broker does not speak MQTT 3.1.1)',
  2: 'client identifier rejected (check client_id)',
  3: 'server unavailable',
  4: 'bad user name or password (check username/password)',
  5: 'not authorized (check username/password)',
};

export function connackMessage(returnCode: number): string {
  return `MQTT broker refused: ${CONNACK_REASONS[returnCode] ?? `return code ${returnCode}`}`;
}

const TLS_TRUST = /certificate|self[- ]signed|issuer|altname|CERT_|SSL|TLS|handshake/i;

function describeError(err: unknown, tls: boolean): string {
  const e = err as { message?: string; code?: string } | undefined;
  let text = e?.message ?? String(err);
  if (e?.code && !text.includes(e.code)) text = `${e.code}: ${text}`;
  if (tls && TLS_TRUST.test(`${text} ${e?.code ?? ''}`)) text += ' (TLS: check ca_file, or tls_insecure for testing)';
  return text;
}

export function createMqttSession(deps: SessionDeps, opts: SessionOptions, handlers: SessionHandlers): MqttSession {
  const { net, clock, log } = deps;
  const random = deps.random ?? Math.random;
  const where = `${opts.host}:${opts.port}`;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const backoffInitialMs = opts.backoffInitialMs ?? 1_000;
  const backoffMaxMs = opts.backoffMaxMs ?? 30_000;
  const stableAfterMs = opts.stableAfterMs ?? 30_000;
  const keepaliveMs = Math.max(0, opts.keepaliveS) * 1000;
  const pingTimeoutMs = Math.min(Math.max(keepaliveMs / 2, 1_000), 10_000);

  let started = false;
  let stopped = false;
  let stream: ByteStream | null = null;
  let connected = false;
  let generation = 0; // bumps per attempt, so late callbacks of an old socket are ignored
  let failures = 0;
  let lastErr: string | null = null;
  let lastLogged: string | null = null;
  let pendingBytes = 0;
  let lastWrite: Promise<void> = Promise.resolve();
  let nextMessageId = 1;
  const inflight = new Map<number, () => void>();
  const timers: Record<'retry' | 'connack' | 'ping' | 'pingDeadline' | 'stable', TimerHandle | null> = {
    retry: null, connack: null, ping: null, pingDeadline: null, stable: null,
  };

  function clear(name: keyof typeof timers): void {
    const t = timers[name];
    if (t) clock.clearTimer(t);
    timers[name] = null;
  }

  function clearAll(): void {
    for (const name of Object.keys(timers) as (keyof typeof timers)[]) clear(name);
  }

  function logFailure(text: string, retryMs: number): void {
    const line = `${text}; retrying in ${(retryMs / 1000).toFixed(1)} s`;
    // The same failure every few seconds would flood logd: say it once, then only on change.
    if (text !== lastLogged) { log.warn(line); lastLogged = text; } else log.debug(() => line);
  }

  function send(packet: Packet): boolean {
    const s = stream;
    if (!s) return false;
    let bytes: Uint8Array;
    try {
      bytes = encodePacket(packet);
    } catch (err) {
      log.error(`MQTT: cannot encode ${packet.cmd} packet: ${describeError(err, false)}`);
      return false;
    }
    pendingBytes += bytes.length;
    const gen = generation;
    lastWrite = s.write(bytes).then(
      () => { if (gen === generation) pendingBytes -= bytes.length; },
      (err: unknown) => { if (gen === generation) { pendingBytes -= bytes.length; drop(`write failed: ${describeError(err, opts.tls)}`); } },
    );
    return true;
  }

  function backoffMs(): number {
    const base = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(failures, 16));
    return Math.round(base * (0.5 + random() * 0.5));
  }

  function scheduleRetry(reason: string): void {
    if (stopped) return;
    const delay = backoffMs();
    failures++;
    lastErr = reason;
    logFailure(reason, delay);
    clear('retry');
    timers.retry = clock.setTimer(delay, () => { timers.retry = null; void attempt(); });
  }

  /** Ends the current connection (if any) and schedules the next attempt. */
  function drop(reason: string): void {
    const s = stream;
    const wasConnected = connected;
    generation++;
    stream = null;
    connected = false;
    pendingBytes = 0;
    inflight.clear();
    clearAll();
    if (s) { try { s.close(); } catch { /* already closed */ } }
    if (wasConnected) {
      lastLogged = null;
      try { handlers.onDisconnected(reason); } catch (err) { log.error(`MQTT: disconnect handler failed: ${describeError(err, false)}`); }
      reason = `MQTT connection to ${where} lost: ${reason}`;
    }
    if (!stopped) scheduleRetry(reason);
  }

  function armPing(): void {
    if (keepaliveMs <= 0) return;
    clear('ping');
    timers.ping = clock.setTimer(keepaliveMs, () => {
      timers.ping = null;
      if (!connected) return;
      armPing();
      // Armed before sending: an answer may arrive before send() returns.
      if (!timers.pingDeadline) {
        timers.pingDeadline = clock.setTimer(pingTimeoutMs, () => {
          timers.pingDeadline = null;
          drop(`no answer to keepalive ping within ${(pingTimeoutMs / 1000).toFixed(0)} s`);
        });
      }
      send({ cmd: 'pingreq' });
    });
  }

  function onPacket(gen: number, p: Packet): void {
    if (gen !== generation) return;
    clear('pingDeadline'); // any packet proves the connection is alive
    switch (p.cmd) {
      case 'connack': {
        clear('connack');
        if (connected) return;
        if (p.returnCode !== 0 && p.returnCode !== undefined) {
          drop(connackMessage(p.returnCode));
          return;
        }
        connected = true;
        lastErr = null;
        lastLogged = null;
        log.info(`MQTT connected to ${where} as ${opts.clientId}${opts.tls ? ' (TLS)' : ''}`);
        timers.stable = clock.setTimer(stableAfterMs, () => { timers.stable = null; failures = 0; });
        armPing();
        try { handlers.onConnected(); } catch (err) { log.error(`MQTT: connect handler failed: ${describeError(err, false)}`); }
        return;
      }
      case 'puback': {
        const id = p.messageId;
        if (id === undefined) return;
        const done = inflight.get(id);
        inflight.delete(id);
        done?.();
        return;
      }
      case 'publish': {
        if (p.qos === 1 && p.messageId !== undefined) send({ cmd: 'puback', messageId: p.messageId });
        const payload = typeof p.payload === 'string' ? p.payload : new TextDecoder().decode(p.payload);
        try { handlers.onMessage(p.topic, payload, p.retain); } catch (err) { log.error(`MQTT: message handler failed: ${describeError(err, false)}`); }
        return;
      }
      case 'suback': {
        if (p.granted.some((g) => typeof g === 'number' && g >= 0x80)) log.warn('MQTT broker refused a subscription (check its ACL)');
        return;
      }
      default:
        return; // pingresp and anything else: liveness is all we need
    }
  }

  async function attempt(): Promise<void> {
    if (stopped || stream) return;
    const gen = ++generation;
    let secrets: Secrets;
    try {
      secrets = await opts.loadSecrets();
    } catch (err) {
      if (gen === generation) scheduleRetry(`MQTT: ${describeError(err, false)}`);
      return;
    }
    if (stopped || gen !== generation) return;
    let s: ByteStream;
    try {
      s = await net.connect({
        host: opts.host, port: opts.port, tls: opts.tls, caPem: secrets.caPem,
        insecure: opts.tlsInsecure, timeoutMs: connectTimeoutMs,
      });
    } catch (err) {
      if (gen === generation) scheduleRetry(`MQTT connect to ${where} failed: ${describeError(err, opts.tls)}`);
      return;
    }
    if (stopped || gen !== generation) { s.close(); return; }
    stream = s;
    const decoder = createDecoder(
      (p) => onPacket(gen, p),
      (err) => { if (gen === generation) drop(`bad packet from broker: ${err.message}`); },
    );
    s.onData((chunk) => { if (gen === generation) decoder.push(chunk); });
    s.onClose((err) => {
      if (gen !== generation) return;
      drop(err ? describeError(err, opts.tls) : 'closed by the broker');
    });
    timers.connack = clock.setTimer(connectTimeoutMs, () => {
      timers.connack = null;
      drop(`no CONNACK from ${where} within ${(connectTimeoutMs / 1000).toFixed(0)} s`);
    });
    send({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: opts.clientId,
      keepalive: Math.max(0, Math.min(65535, Math.round(opts.keepaliveS))),
      ...(opts.username !== undefined ? { username: opts.username } : {}),
      // MQTT 3.1.1 allows a password only together with a user name.
      ...(secrets.password !== undefined && opts.username !== undefined ? { password: secrets.password as unknown as Buffer } : {}),
      will: { topic: opts.will.topic, payload: opts.will.payload as unknown as Buffer, qos: opts.will.qos, retain: opts.will.retain },
    });
  }

  function publishPacket(topic: string, payload: string, o: PublishOptions, onAck?: () => void): boolean {
    if (!connected || pendingBytes > MAX_PENDING_BYTES) return false;
    if (o.qos === 0) return send({ cmd: 'publish', topic, payload, qos: 0, retain: o.retain, dup: false });
    if (inflight.size >= MAX_INFLIGHT) return false;
    const messageId = nextMessageId;
    nextMessageId = nextMessageId >= 65535 ? 1 : nextMessageId + 1;
    inflight.set(messageId, onAck ?? (() => undefined));
    if (send({ cmd: 'publish', topic, payload, qos: 1, retain: o.retain, dup: false, messageId })) return true;
    inflight.delete(messageId);
    return false;
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      void attempt();
    },
    isConnected: () => connected,
    lastError: () => lastErr,
    publish: (topic, payload, o) => publishPacket(topic, payload, o),
    subscribe(topic, qos) {
      if (!connected) return false;
      const messageId = nextMessageId;
      nextMessageId = nextMessageId >= 65535 ? 1 : nextMessageId + 1;
      return send({ cmd: 'subscribe', messageId, subscriptions: [{ topic, qos }] });
    },
    async stop(last, budgetMs = 1000) {
      if (stopped) return;
      stopped = true;
      clear('retry');
      const s = stream;
      if (!s || !connected) {
        generation++;
        stream = null;
        clearAll();
        if (s) s.close();
        return;
      }
      let timer: TimerHandle | null = null;
      const deadline = new Promise<void>((resolve) => { timer = clock.setTimer(budgetMs, resolve); });
      const graceful = (async () => {
        if (last) {
          // Wait for the broker's PUBACK so the retained `offline` is stored before we go.
          await new Promise<void>((resolve) => {
            if (!publishPacket(last.topic, last.payload, { qos: 1, retain: last.retain }, resolve)) resolve();
          });
        }
        // DISCONNECT tells the broker to discard the will: the clean `offline` above replaces it.
        send({ cmd: 'disconnect' });
        await lastWrite;
      })();
      await Promise.race([graceful, deadline]);
      if (timer) clock.clearTimer(timer);
      generation++;
      stream = null;
      connected = false;
      inflight.clear();
      clearAll();
      try { s.close(); } catch { /* already closed */ }
      log.info(`MQTT disconnected from ${where}`);
    },
  };
}
