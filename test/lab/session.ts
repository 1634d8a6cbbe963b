// One running lab with wanpulse in it: topology, broker, daemon, MQTT watch, traffic sink and the
// status/route watchers, optionally narrated into a Timeline. Used by the story, the bench and the
// lab tests alike.
import { BASE_TOPIC, DEFAULT_LAB_HEALTH, MqttWatch, buildBundle, startBroker, startDaemon, waitStatus, writeConfig, type Daemon, type LabHealth } from './daemon.ts';
import { createLab, destroyLab, saveState, type Lab } from './topology.ts';
import { startSink } from './traffic.ts';
import { RouteWatch, StatusWatch } from './watch.ts';
import type { Timeline } from './timeline.ts';

export interface Session {
  lab: Lab;
  daemon: Daemon;
  mqtt: MqttWatch;
  status: StatusWatch;
  route: RouteWatch;
  health: LabHealth;
  bundleBytes: number;
}

export interface SessionOptions {
  id?: string;
  health?: LabHealth;
  timeline?: Timeline;
  /** skip `node build/bundle.mjs` (the caller built it) */
  bundleBytes?: number;
  /** print the daemon's log lines into the timeline */
  showDaemonLog?: boolean;
}

export async function startSession(o: SessionOptions = {}): Promise<Session> {
  const tl = o.timeline;
  const bundleBytes = o.bundleBytes ?? await buildBundle();
  const lab = await createLab(o.id);
  try {
    tl?.add('lab', `built by \`wanpulse setup\` from test/lab/lab-network.conf (scripts and summary in ${lab.net?.outDir})`);
    tl?.add('lab', `namespaces ${Object.values(lab.ns).join(' ')}; tunnels ${lab.uplinks.map((u) => `${u.name}=${u.mainDev}`).join(' ')} (wireguard-go)`);
    await startBroker(lab);
    const mqtt = new MqttWatch(lab);
    if (tl) narrateMqtt(mqtt, tl);
    await startSink(lab);
    const health = o.health ?? DEFAULT_LAB_HEALTH;
    const daemon = await startDaemon(lab, writeConfig(lab, health), (line) => {
      if (o.showDaemonLog && tl && /: (info|warn|error): /.test(`: ${line}`)) tl.add('wanpulse', `log ${line}`);
    });
    saveState(lab);
    tl?.add('lab', `wanpulse started (pid ${daemon.pid}), Mosquitto on main's 127.0.0.1, sink ${'203.0.113.10'} in inet`);
    const status = new StatusWatch(daemon, tl ? {
      transition: (t) => tl.add('wanpulse', `${t.iface} ${t.from} → ${t.to} (${t.reason})${t.detectMs !== null ? ` detect ${t.detectMs} ms` : ''}`, t.at),
      switched: (iface, sw) => tl.add('wanpulse', `${iface} switch ${sw.direction} ${sw.ok ? 'done' : `FAILED: ${sw.error}`} in ${sw.totalMs} ms (${sw.steps.map((s) => `${s.step} ${s.ms} ms`).join(', ')})`, sw.at + sw.totalMs),
    } : {});
    status.start();
    const route = new RouteWatch(lab, tl ? (c) => tl.add('route', c.uplinks.length ? `default route in main: ${c.uplinks.join(' + ')}` : 'main has NO default route') : undefined);
    route.start(tl ? 50 : 20);
    return { lab, daemon, mqtt, status, route, health, bundleBytes };
  } catch (e) {
    await destroyLab(lab);
    throw e;
  }
}

/** A session whose daemon has both uplinks online (within 15 s), for the lab tests' before(). */
export async function startOnlineSession(o: SessionOptions = {}): Promise<Session> {
  const s = await startSession(o);
  const ok = await waitStatus(s.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 15_000);
  if (!ok) {
    const log = s.daemon.log.slice(-20).join('\n');
    await stopSession(s);
    throw new Error(`wanpulse did not bring both uplinks online:\n${log}`);
  }
  return s;
}

/** Stops the daemon first (it hands back and says `offline` on MQTT while the broker is still
 *  there), then everything else. With keep, only the lab's observers stop. */
export async function stopSession(s: Session, keep = false): Promise<void> {
  s.status.stop();
  s.route.stop();
  s.daemon.stopFollowing();
  if (keep) { await s.lab.procs.stopPiped(); return; }
  await s.lab.procs.stop(s.daemon.child, 5000);
  await destroyLab(s.lab);
}

/** MQTT lines worth a timeline entry: events, uplink state changes, availability; discovery counted. */
function narrateMqtt(mqtt: MqttWatch, tl: Timeline): void {
  const lastState = new Map<string, string>();
  let discovery = 0;
  let discoveryTimer: NodeJS.Timeout | null = null;
  mqtt.onMessage((m) => {
    if (m.topic.startsWith('homeassistant/')) {
      discovery++;
      if (!discoveryTimer) discoveryTimer = setTimeout(() => { tl.add('mqtt', `${discovery} Home Assistant discovery configs (homeassistant/…/config)`); discoveryTimer = null; discovery = 0; }, 300);
      return;
    }
    if (m.topic === `${BASE_TOPIC}/event`) { tl.add('mqtt', `${m.topic} ${m.payload}`, m.at); return; }
    if (m.topic.startsWith(`${BASE_TOPIC}/uplink/`)) {
      let state = m.payload;
      try { state = String((JSON.parse(m.payload) as { state?: string }).state); } catch { /* raw */ }
      if (lastState.get(m.topic) !== state) {
        lastState.set(m.topic, state);
        tl.add('mqtt', `${m.topic} state=${state} (retained)`, m.at);
      }
      return;
    }
    if (m.topic === `${BASE_TOPIC}/status`) tl.add('mqtt', `${m.topic} ${m.payload}`, m.at);
  });
}
