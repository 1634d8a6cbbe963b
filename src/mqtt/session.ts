// One MQTT 3.1.1 client session over the platform's Net port: connect with a last will, QoS 1
// acknowledgements, subscriptions, a bounded stop. Its parts live beside it: the connection and
// framing in transport.ts, keepalive pings in keepalive.ts, the reconnect policy in backoff.ts,
// failure texts and kinds in errors.ts, what reaches the log in failure-log.ts.
//
// Invariants:
// - Nothing here blocks or throws into the caller: publish() hands bytes to the socket and returns
//   at once (false when not connected or the socket is congested); all failures end up as a log
//   line, `lastError()` and a scheduled reconnect.
// - The password and the CONNECT packet never reach a log line or an error text.
// - Memory stays bounded: unacknowledged QoS 1 packets are forgotten on disconnect (the publisher
//   re-publishes all retained state after every connect), and writes stop being accepted above
//   MAX_PENDING_BYTES.
import type { ByteStream, TimerHandle } from '../platform/ports.ts';
import type { Packet, SkippedPublish } from './codec.ts';
import { createBackoff, UNREACHABLE_MAX_MS } from './backoff.ts';
import { connectPacket } from './connect-packet.ts';
import { connackFailure, connectFailure, describeError, endFailure, protocolFailure, secretsFailure } from './errors.ts';
import type { Failure } from './errors.ts';
import { createFailureLog } from './failure-log.ts';
import { createKeepalive } from './keepalive.ts';
import type { Keepalive } from './keepalive.ts';
import type { MqttSession, PublishOptions, Secrets, SessionDeps, SessionHandlers, SessionOptions } from './session-types.ts';
import { openTransport } from './transport.ts';
import type { Transport, TransportEnd } from './transport.ts';

export type { MqttSession, PublishOptions, Secrets, SessionDeps, SessionHandlers, SessionOptions, WillMessage } from './session-types.ts';

/** Above this many bytes handed to the socket but not yet written, publish() refuses. */
export const MAX_PENDING_BYTES = 256 * 1024;
const MAX_INFLIGHT = 1000;

export function createMqttSession(deps: SessionDeps, opts: SessionOptions, handlers: SessionHandlers): MqttSession {
  const { net, clock, log } = deps;
  const where = `${opts.host}:${opts.port}`;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const stableAfterMs = opts.stableAfterMs ?? 30_000;
  const backoff = createBackoff({
    initialMs: opts.backoffInitialMs ?? 1_000, maxMs: opts.backoffMaxMs ?? 30_000,
    unreachableMaxMs: opts.backoffUnreachableMaxMs ?? UNREACHABLE_MAX_MS, random: deps.random ?? Math.random,
  });

  let started = false;
  let stopped = false;
  let conn: Transport | null = null;
  let keepalive: Keepalive | null = null;
  let connected = false;
  let generation = 0; // bumps per attempt, so a late connect or secret load of an old one is ignored
  let lastErr: string | null = null;
  const report = createFailureLog(log, where, opts.clientId, opts.tls);
  let nextMessageId = 1;
  const inflight = new Map<number, () => void>();
  const timers: Record<'retry' | 'connack' | 'stable', TimerHandle | null> = { retry: null, connack: null, stable: null };

  function clear(name: keyof typeof timers): void {
    const t = timers[name];
    if (t) clock.clearTimer(t);
    timers[name] = null;
  }

  function clearAll(): void {
    for (const name of Object.keys(timers) as (keyof typeof timers)[]) clear(name);
    keepalive?.stop();
    keepalive = null;
  }

  const send = (packet: Packet): boolean => conn?.send(packet) ?? false;

  /** The publisher's handlers must not break the session. */
  function guard(what: string, fn: () => void): void {
    try { fn(); } catch (err) { log.error(`MQTT ${where}: ${what} handler failed: ${describeError(err, false)}`); }
  }

  function scheduleRetry(f: Failure): void {
    if (stopped) return;
    const delay = backoff.next(f.unreachable === true);
    lastErr = report.failed(f, delay);
    clear('retry');
    timers.retry = clock.setTimer(delay, () => { timers.retry = null; void attempt(); });
  }

  /** Closes and forgets the current connection (if any), its timers and the retry timer. */
  function forget(): void {
    const c = conn;
    generation++;
    conn = null;
    connected = false;
    inflight.clear();
    clearAll();
    c?.close();
  }

  /** Ends the current connection (if any) and schedules the next attempt. */
  function drop(f: Failure): void {
    const wasConnected = connected;
    forget();
    if (wasConnected) {
      guard('disconnect', () => handlers.onDisconnected(f.text));
    }
    if (!stopped) scheduleRetry(f);
  }

  function onEnd(how: TransportEnd): void {
    drop(how.protocol !== undefined ? protocolFailure(where, connected, how.protocol) : endFailure(where, how.err, opts.tls, connected));
  }

  function onConnack(returnCode: number | undefined): void {
    clear('connack');
    if (connected) return;
    if (returnCode !== 0 && returnCode !== undefined) {
      drop(connackFailure(where, returnCode));
      return;
    }
    connected = true;
    lastErr = null;
    report.connected();
    timers.stable = clock.setTimer(stableAfterMs, () => { timers.stable = null; backoff.reset(); report.stable(); });
    keepalive = createKeepalive(clock, Math.max(0, opts.keepaliveS) * 1000, {
      sendPing: () => { send({ cmd: 'pingreq' }); },
      onTimeout: (ms) => drop(protocolFailure(where, true, `no answer to keepalive ping within ${(ms / 1000).toFixed(0)} s`)),
    });
    keepalive.start();
    guard('connect', () => handlers.onConnected());
  }

  function onPacket(p: Packet): void {
    keepalive?.alive(); // any packet proves the connection is alive
    switch (p.cmd) {
      case 'connack':
        onConnack(p.returnCode);
        return;
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
        guard('message', () => handlers.onMessage(p.topic, payload, p.retain));
        return;
      }
      case 'suback': {
        if (p.granted.some((g) => typeof g === 'number' && g >= 0x80)) log.warn(`MQTT broker ${where} refused a subscription (check its ACL)`);
        return;
      }
      default:
        return; // pingresp and anything else: liveness is all we need
    }
  }

  /** An oversized message is not worth a reconnect (which would only bring it back, retained):
   *  acknowledge it, say so once per topic, keep the session. */
  function onSkipped(sk: SkippedPublish): void {
    keepalive?.alive();
    if (sk.qos === 1 && sk.messageId !== undefined) send({ cmd: 'puback', messageId: sk.messageId });
    report.skipped(sk.topic, sk.bytes);
  }

  async function attempt(): Promise<void> {
    if (stopped || conn) return;
    const gen = ++generation;
    let secrets: Secrets;
    try {
      secrets = await opts.loadSecrets();
    } catch (err) {
      if (gen === generation) scheduleRetry(secretsFailure(where, err));
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
      if (gen === generation) scheduleRetry(connectFailure(where, err, opts.tls));
      return;
    }
    if (stopped || gen !== generation) { s.close(); return; }
    conn = openTransport(s, where, log, { onPacket, onSkipped, onEnd, onActivity: () => keepalive?.alive() });
    timers.connack = clock.setTimer(connectTimeoutMs, () => {
      timers.connack = null;
      drop(protocolFailure(where, false, `no CONNACK within ${(connectTimeoutMs / 1000).toFixed(0)} s`));
    });
    send(connectPacket(opts, secrets));
  }

  function nextId(): number {
    const id = nextMessageId;
    nextMessageId = nextMessageId >= 65535 ? 1 : nextMessageId + 1;
    return id;
  }

  function publishPacket(topic: string, payload: string, o: PublishOptions, onAck?: () => void): boolean {
    if (!connected || !conn || conn.pendingBytes() > MAX_PENDING_BYTES) return false;
    if (o.qos === 0) return send({ cmd: 'publish', topic, payload, qos: 0, retain: o.retain, dup: false });
    if (inflight.size >= MAX_INFLIGHT) return false;
    const messageId = nextId();
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
      return send({ cmd: 'subscribe', messageId: nextId(), subscriptions: [{ topic, qos }] });
    },
    async stop(last, budgetMs = 1000) {
      if (stopped) return;
      stopped = true;
      clear('retry');
      const c = conn;
      if (!c || !connected) { forget(); return; }
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
        await c.flushed();
      })();
      await Promise.race([graceful, deadline]);
      if (timer) clock.clearTimer(timer);
      forget();
      log.info(`MQTT disconnected from ${where}`);
    },
  };
}
