// Turns status snapshots into MQTT topics: retained state per uplink, a summary, Home Assistant
// discovery, and transition events.
//
// Invariants (architecture.md: failover never waits for MQTT):
// - publishStatus/publishEvent only update in-memory maps and hand bytes to the socket; they
//   never await, never throw, and cost the same whether the broker is up, slow or gone.
// - Status is state, not a queue: one latest payload per topic. While disconnected nothing is
//   queued beyond that map (and at most one event); after every connect everything retained
//   is published again, which also covers QoS 1 packets that were never acknowledged.
// - Order on connect: status `online` -> discovery configs -> states -> subscribe.
import type { MqttConfig } from '../config/types.ts';
import type { TimerHandle } from '../platform/ports.ts';
import type { TransitionEvent } from '../status/model.ts';
import { routerDiscovery, uplinkDiscovery } from './discovery.ts';
import type { DiscoveryContext } from './discovery.ts';
import { createMqttSession } from './session.ts';
import type { MqttSession } from './session.ts';
import { loadSecrets } from './secrets.ts';
import { disabledPublisher } from './publisher-types.ts';
import type { MqttPublisher, PublisherDeps, PublisherInfo } from './publisher-types.ts';
import { eventPayload, summaryPayload, topicNames, uplinkChangeKey, uplinkPayload } from './topics.ts';

export type { MqttPublisher, PublisherDeps, PublisherInfo } from './publisher-types.ts';

/** Periodic re-publishes never come faster than this, whatever publish_interval_s says. */
export const MIN_PERIODIC_MS = 1_000;
/** With publish_interval_s = 0, RTT/loss-only changes still go out, at most this often. */
export const METRICS_GAP_MS = 1_000;
const STOP_BUDGET_MS = 1_000;

export function createMqttPublisher(deps: PublisherDeps, cfg: MqttConfig, info: PublisherInfo): MqttPublisher {
  if (!cfg.enabled) return disabledPublisher();
  const { clock, log, fs } = deps;
  const where = `${cfg.host}:${cfg.port}`;
  // the loader's router id (hostname + hardware suffix) names topics and discovery ids; the
  // device keeps the plain hostname as its name
  const routerId = cfg.routerId ?? info.routerId;
  const names = topicNames(cfg.baseTopic, cfg.discoveryPrefix, routerId);
  const ctx: DiscoveryContext = {
    routerId, deviceName: info.routerId, version: info.version, prefix: names.haStatus.replace(/\/status$/, ''), names,
    ...(info.supportUrl ? { supportUrl: info.supportUrl } : {}),
    ...(info.configurationUrl ? { configurationUrl: info.configurationUrl } : {}),
  };
  const RETAINED = { qos: 1 as const, retain: true };

  // What the broker should hold, per topic (discovery configs and states), in publish order.
  let discovery = new Map<string, string>();
  let states = new Map<string, string>();
  /** topics to clear with an empty retained payload (uplinks that disappeared) */
  const removals = new Set<string>();
  /** payload last handed to the current connection, per topic; cleared on disconnect */
  const sent = new Map<string, string>();
  /** per uplink topic: the change key of the payload last sent */
  const sentKeys = new Map<string, string>();
  const changeKeys = new Map<string, string>();
  let discoveredIfaces: string[] = [];
  let pendingEvent: TransitionEvent | null = null;
  let periodic: TimerHandle | null = null;
  let metricsTimer: TimerHandle | null = null;
  let retryTimer: TimerHandle | null = null;
  let started = false;
  let stopped = false;

  const session: MqttSession = createMqttSession(
    { net: deps.net, clock, log, ...(deps.random ? { random: deps.random } : {}) },
    {
      host: cfg.host, port: cfg.port, tls: cfg.tls, tlsInsecure: cfg.tlsInsecure,
      clientId: cfg.clientId || `wanpulse-${routerId}`,
      ...(cfg.username !== undefined ? { username: cfg.username } : {}),
      keepaliveS: cfg.keepaliveS,
      will: { topic: names.status, payload: 'offline', qos: 1, retain: true },
      loadSecrets: () => loadSecrets(fs, cfg),
    },
    {
      onConnected: () => {
        sent.clear();
        sentKeys.clear();
        session.publish(names.status, 'online', RETAINED);
        flush('all');
        if (cfg.discovery) session.subscribe(names.haStatus, 1);
        startPeriodic();
      },
      onDisconnected: () => {
        sent.clear();
        sentKeys.clear();
        stopTimers();
      },
      onMessage: (topic, payload, retained) => {
        // A retained birth message is an old one, replayed by our own subscribe right after we
        // published everything; only a live `online` means Home Assistant (re)started.
        if (topic === names.haStatus && payload.trim() === 'online' && !retained && cfg.discovery) {
          log.info(`MQTT ${where}: Home Assistant came online; publishing discovery and states again`);
          flush('all');
        }
      },
    },
  );

  function stopTimers(): void {
    for (const t of [periodic, metricsTimer, retryTimer]) if (t) clock.clearTimer(t);
    periodic = metricsTimer = retryTimer = null;
  }

  function startPeriodic(): void {
    if (periodic) clock.clearTimer(periodic);
    periodic = null;
    if (cfg.publishIntervalMs <= 0) return;
    const everyMs = Math.max(MIN_PERIODIC_MS, cfg.publishIntervalMs);
    periodic = clock.setTimer(everyMs, () => {
      periodic = null;
      flush('states');
      startPeriodic();
    });
  }

  /** Sends one topic; false when the session could not take it now (kept for the next flush). */
  function send(topic: string, payload: string): boolean {
    if (!session.publish(topic, payload, RETAINED)) return false;
    sent.set(topic, payload);
    const key = changeKeys.get(topic);
    if (key !== undefined) sentKeys.set(topic, key);
    return true;
  }

  /**
   * 'all': everything retained (after connect, Home Assistant restart);
   * 'states': every state topic again (periodic re-publish for graphs);
   * 'changed': only what differs from what this connection already got, except metric-only
   *            changes of uplinks, which wait for the periodic or metrics timer;
   * 'dirty': everything that differs from what this connection already got.
   */
  function flush(mode: 'all' | 'states' | 'changed' | 'dirty'): void {
    if (!session.isConnected()) return;
    let blocked = false;
    let metricsWaiting = false;
    const sendIf = (topic: string, payload: string, force: boolean) => {
      if (blocked) return;
      if (!force && sent.get(topic) === payload) return;
      if (!send(topic, payload)) blocked = true;
    };
    if (cfg.discovery) for (const [topic, payload] of discovery) sendIf(topic, payload, mode === 'all');
    for (const topic of [...removals]) {
      if (blocked) break;
      if (session.publish(topic, '', RETAINED)) { removals.delete(topic); sent.delete(topic); } else blocked = true;
    }
    for (const [topic, payload] of states) {
      const force = mode === 'all' || mode === 'states';
      if (!force && mode === 'changed' && sent.has(topic) && changeKeys.has(topic) && sentKeys.get(topic) === changeKeys.get(topic)) {
        if (sent.get(topic) !== payload) metricsWaiting = true;
        continue;
      }
      sendIf(topic, payload, force);
    }
    if (!blocked && pendingEvent) {
      if (session.publish(names.event, JSON.stringify(eventPayload(pendingEvent)), { qos: 0, retain: false })) pendingEvent = null;
      else blocked = true;
    }
    if (blocked) scheduleRetry();
    if (metricsWaiting && cfg.publishIntervalMs <= 0 && !metricsTimer) {
      metricsTimer = clock.setTimer(METRICS_GAP_MS, () => { metricsTimer = null; flush('dirty'); });
    }
  }

  /** The socket was congested: try again shortly instead of waiting for the next change. */
  function scheduleRetry(): void {
    if (retryTimer) return;
    retryTimer = clock.setTimer(METRICS_GAP_MS, () => { retryTimer = null; flush('dirty'); });
  }

  function updateDiscovery(ifaces: string[]): void {
    if (!cfg.discovery) return;
    const same = ifaces.length === discoveredIfaces.length && ifaces.every((n, i) => n === discoveredIfaces[i]);
    if (same) return;
    const next = new Map<string, string>();
    for (const iface of ifaces) for (const m of uplinkDiscovery(ctx, iface)) next.set(m.topic, JSON.stringify(m.config));
    for (const m of routerDiscovery(ctx)) next.set(m.topic, JSON.stringify(m.config));
    for (const topic of discovery.keys()) if (!next.has(topic)) removals.add(topic);
    for (const topic of next.keys()) removals.delete(topic);
    discovery = next;
    discoveredIfaces = ifaces;
  }

  return {
    start() {
      if (started || stopped) return;
      started = true;
      session.start();
    },

    publishStatus(snapshot) {
      if (stopped) return;
      try {
        const ifaces = snapshot.uplinks.map((u) => u.iface);
        updateDiscovery(ifaces);
        const next = new Map<string, string>();
        for (const u of snapshot.uplinks) {
          const topic = names.uplink(u.iface);
          next.set(topic, JSON.stringify(uplinkPayload(u)));
          changeKeys.set(topic, uplinkChangeKey(u));
        }
        next.set(names.summary, JSON.stringify(summaryPayload(snapshot.uplinks, info.policies)));
        for (const topic of states.keys()) {
          if (!next.has(topic)) { removals.add(topic); changeKeys.delete(topic); sentKeys.delete(topic); }
        }
        for (const topic of next.keys()) removals.delete(topic);
        states = next;
        flush('changed');
      } catch (err) {
        log.error(`MQTT ${where}: cannot publish status: ${(err as Error).message}`);
      }
    },

    publishEvent(e) {
      if (stopped) return;
      // Events are not queued: while disconnected only the newest is kept, so the "last event"
      // entity is right after reconnecting.
      if (session.publish(names.event, JSON.stringify(eventPayload(e)), { qos: 0, retain: false })) {
        pendingEvent = null;
      } else {
        pendingEvent = e;
        if (session.isConnected()) scheduleRetry();
      }
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      stopTimers();
      await session.stop({ topic: names.status, payload: 'offline', qos: 1, retain: true }, STOP_BUDGET_MS);
    },

    state: () => ({ enabled: true, connected: session.isConnected(), lastError: session.lastError() }),
  };
}
