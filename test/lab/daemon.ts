// wanpulse inside the lab: its UCI config, the Mosquitto broker on main's loopback, the daemon
// process itself, a `mosquitto_sub -v` watching what it publishes, and its status file.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StatusSnapshot, TransitionEvent } from '../../src/status/model.ts';
import { ADDR, logPath, saveState, type Lab } from './topology.ts';
import { followFile, inNs, run, sleep } from './sh.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** WANPULSE_BUNDLE runs the lab against another build (e.g. a release); then nothing is built. */
export const BUNDLE = process.env.WANPULSE_BUNDLE ?? join(ROOT, 'dist/wanpulse.js');
export const MQTT_PORT = 18830;
export const BASE_TOPIC = 'wanpulse/lab';

/** Probe settings the lab runs with (the daemon's defaults unless a scenario overrides them). */
export interface LabHealth {
  intervalMs: number;
  timeoutMs: number;
  down: number;
  up: number;
  /** flap damping window; the daemon's default (300 s) when absent */
  flapWindowS?: number;
  /** `traffic_evidence '0'` when false (the baseline profile: probes alone decide) */
  trafficEvidence?: boolean;
  /** quality checks (`check_quality '1'` with these levels); off when absent */
  quality?: LabQuality;
}

/** wanpulse's quality options; each absent one keeps the daemon's default. */
export interface LabQuality {
  /** `window`: rounds the mean RTT and loss are taken over */
  windowRounds?: number;
  /** `failure_latency_ms` / `recovery_latency_ms` */
  failureLatencyMs?: number;
  recoveryLatencyMs?: number;
  /** `failure_loss` / `recovery_loss` (%) */
  failureLossPct?: number;
  recoveryLossPct?: number;
  /** `degraded_failover`: a degraded uplink leaves the route */
  degradedFailover?: boolean;
}

function qualityOptions(q: LabQuality | undefined): string[] {
  if (!q) return [];
  const opt = (name: string, v: number | boolean | undefined) => (v === undefined ? [] : [`\toption ${name} '${typeof v === 'boolean' ? (v ? 1 : 0) : v}'`]);
  return [`\toption check_quality '1'`, ...opt('window', q.windowRounds),
    ...opt('failure_latency_ms', q.failureLatencyMs), ...opt('recovery_latency_ms', q.recoveryLatencyMs),
    ...opt('failure_loss', q.failureLossPct), ...opt('recovery_loss', q.recoveryLossPct),
    ...opt('degraded_failover', q.degradedFailover)];
}

export const DEFAULT_LAB_HEALTH: LabHealth = { intervalMs: 200, timeoutMs: 300, down: 3, up: 5 };

export async function buildBundle(): Promise<number> {
  if (!process.env.WANPULSE_BUNDLE) {
    const r = await run([process.execPath, join(ROOT, 'build/bundle.mjs')], { timeoutMs: 120_000 });
    // a bundle over its size budget still runs: the bench reports the size, the build check fails
    if (r.code !== 0 && !/over budget/.test(r.stderr)) throw new Error(`building the bundle failed:\n${r.stderr}${r.stdout}`);
    if (r.code !== 0) console.error(`warning: ${r.stdout.trim()} — ${r.stderr.trim()}`);
  }
  return statSync(BUNDLE).size;
}

/** The runtime the daemon runs under: txiki.js when installed (as on a router), else Node. */
export async function daemonRuntime(): Promise<string[]> {
  const r = await run(['sh', '-c', 'command -v tjs']);
  return r.code === 0 ? [r.stdout.trim(), 'run'] : [process.execPath];
}

export function writeConfig(lab: Lab, health: LabHealth = DEFAULT_LAB_HEALTH): { configDir: string; runDir: string } {
  const configDir = join(lab.dir, 'config');
  const runDir = join(lab.dir, 'run');
  mkdirSync(configDir, { recursive: true });
  mkdirSync(runDir, { recursive: true });
  const h = health === DEFAULT_LAB_HEALTH ? '' : [
    `\toption interval_ms '${health.intervalMs}'`, `\toption timeout_ms '${health.timeoutMs}'`,
    `\toption down '${health.down}'`, `\toption up '${health.up}'`,
    ...(health.flapWindowS === undefined ? [] : [`\toption flap_window_s '${health.flapWindowS}'`]),
    ...(health.trafficEvidence === false ? [`\toption traffic_evidence '0'`] : []),
    ...qualityOptions(health.quality), ''].join('\n');
  // track_ip, reliability, weight and metric are the generated mwan3 ones (test/lab/from-setup.ts);
  // mwan3 cannot run here, so the route backend carries them out
  const ifaces = lab.uplinks.map((u) => {
    const t = lab.net?.tunnels.find((x) => x.name === u.name);
    return [
      `config interface '${u.name}'`,
      `\toption device '${u.mainDev}'`,
      `\toption gateway '${u.gateway}'`,
      ...(t ? t.trackIps : ADDR.targets).map((ip) => `\tlist track_ip '${ip}'`),
      ...(t ? [`\toption reliability '${t.reliability}'`] : []),
      `\toption weight '${t?.weight ?? 1}'`,
      `\toption metric '${t?.metric ?? 1}'`,
      '',
    ].join('\n');
  }).join('\n');
  writeFileSync(join(configDir, 'wanpulse'), [
    `config globals 'globals'`,
    `\toption backend 'route'`,
    `\toption log_level 'info'`,
    `\toption route_table 'main'`,
    h,
    ifaces,
    `config mqtt 'mqtt'`,
    `\toption enabled '1'`,
    `\toption host '127.0.0.1'`,
    `\toption port '${MQTT_PORT}'`,
    `\toption base_topic '${BASE_TOPIC}'`,
    '',
  ].join('\n'));
  return { configDir, runDir };
}

export async function startBroker(lab: Lab): Promise<ChildProcess> {
  const conf = join(lab.dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${MQTT_PORT} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\n`);
  const child = lab.procs.start('mosquitto', inNs(lab.ns.main, ['mosquitto', '-c', conf]), { logFile: logPath(lab, 'mosquitto') });
  for (let i = 0; i < 100; i++) {
    const r = await run(inNs(lab.ns.main, ['mosquitto_pub', '-h', '127.0.0.1', '-p', String(MQTT_PORT), '-t', 'lab/ping', '-n']), { timeoutMs: 2000 });
    if (r.code === 0) { saveState(lab); return child; }
    if (child.exitCode !== null) break;
    await sleep(50);
  }
  throw new Error('mosquitto did not start in the main namespace');
}

export interface MqttMessage {
  /** epoch ms when the lab received it */
  at: number;
  topic: string;
  payload: string;
}

/** A transition event as it arrived at the lab's subscriber. */
export interface EventArrival {
  event: TransitionEvent;
  /** epoch ms when the line reached the lab (wall clock, like the event's `at`) */
  receivedAt: number;
}

/** A change of the retained `<base>/uplink/<iface>` state as it arrived at the lab. */
export interface StateArrival {
  iface: string;
  state: string;
  /** the payload's `since` (epoch ms): the daemon's decision time for this state */
  since: number;
  receivedAt: number;
}

/** `mosquitto_sub -v` on everything under the base topic and Home Assistant's discovery prefix.
 *  Each message is stamped with Date.now() as its line arrives, so arrival times compare with the
 *  daemon's wall-clock decision times (same machine, same clock). mosquitto_sub flushes stdout
 *  after every message; stdbuf -oL is belt and braces for builds that do not. */
export class MqttWatch {
  readonly messages: MqttMessage[] = [];
  private listeners: ((m: MqttMessage) => void)[] = [];
  constructor(lab: Lab) {
    lab.procs.start('mosquitto_sub', inNs(lab.ns.main, ['stdbuf', '-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', String(MQTT_PORT), '-v',
      '-t', `${BASE_TOPIC}/#`, '-t', 'homeassistant/#']), { onLine: (line, stream) => {
      const at = Date.now();
      if (stream !== 'stdout') return;
      const sp = line.indexOf(' ');
      const m = { at, topic: sp < 0 ? line : line.slice(0, sp), payload: sp < 0 ? '' : line.slice(sp + 1) };
      this.messages.push(m);
      for (const fn of this.listeners) fn(m);
    } });
  }

  onMessage(fn: (m: MqttMessage) => void): void {
    this.listeners.push(fn);
  }

  /** Transition events published on <base>/event. */
  events(): TransitionEvent[] {
    return this.eventArrivals().map((a) => a.event);
  }

  /** Transition events with the time each reached the lab. */
  eventArrivals(): EventArrival[] {
    const out: EventArrival[] = [];
    for (const m of this.messages) {
      if (m.topic !== `${BASE_TOPIC}/event`) continue;
      try {
        const e = JSON.parse(m.payload) as Omit<TransitionEvent, 'at' | 'detectMs'> & { at: string | number; detect_ms?: number | null };
        // `at` is ISO time on the wire; detect_ms snake_case
        const event = { iface: e.iface, from: e.from, to: e.to, reason: e.reason, detectMs: e.detect_ms ?? null, at: typeof e.at === 'number' ? e.at : Date.parse(e.at) };
        out.push({ event, receivedAt: m.at });
      } catch { /* not JSON: shown raw in the timeline */ }
    }
    return out;
  }

  /** Each change of an uplink's retained state (repeats of the same state and since skipped). */
  stateArrivals(): StateArrival[] {
    const out: StateArrival[] = [];
    const last = new Map<string, string>();
    const prefix = `${BASE_TOPIC}/uplink/`;
    for (const m of this.messages) {
      if (!m.topic.startsWith(prefix)) continue;
      try {
        const p = JSON.parse(m.payload) as { state?: string; since?: string };
        const iface = m.topic.slice(prefix.length);
        const key = `${p.state}@${p.since}`;
        if (typeof p.state !== 'string' || last.get(iface) === key) continue;
        last.set(iface, key);
        out.push({ iface, state: p.state, since: p.since ? Date.parse(p.since) : NaN, receivedAt: m.at });
      } catch { /* not JSON */ }
    }
    return out;
  }
}

export interface Daemon {
  child: ChildProcess;
  pid: number;
  runDir: string;
  configDir: string;
  /** its log lines (stderr, via <lab dir>/logs/wanpulse.log) as read so far */
  log: string[];
  /** when each line of `log` was read (epoch ms; the file is followed every 100 ms) */
  logAt: number[];
  logFile: string;
  stopFollowing: () => void;
}

export async function startDaemon(lab: Lab, dirs: { configDir: string; runDir: string }, onLog?: (line: string) => void): Promise<Daemon> {
  const argv = [...await daemonRuntime(), BUNDLE, 'run', '--config-dir', dirs.configDir, '--run-dir', dirs.runDir];
  const log: string[] = [];
  const logAt: number[] = [];
  const logFile = logPath(lab, 'wanpulse');
  const child = lab.procs.start('wanpulse', inNs(lab.ns.main, argv), { logFile });
  saveState(lab);
  const stopFollowing = followFile(logFile, (line) => {
    log.push(line);
    logAt.push(Date.now());
    onLog?.(line);
  });
  const d: Daemon = { child, pid: child.pid!, log, logAt, logFile, stopFollowing, ...dirs };
  // ready = a status file that lists both uplinks
  const ok = await waitStatus(d, (s) => s.uplinks.length === lab.uplinks.length, 10_000);
  if (!ok) {
    const why = child.exitCode !== null ? `exited with code ${child.exitCode}` : 'wrote no status file within 10 s';
    throw new Error(`wanpulse ${why}; its log:\n${log.slice(-20).join('\n')}`);
  }
  return d;
}

/** The last `n` log lines, each with when it was read relative to `origin` (epoch ms): for a
 *  failure message that says when things happened. */
export function logTail(d: Daemon, n: number, origin: number): string {
  const from = Math.max(0, d.log.length - n);
  return d.log.slice(from).map((l, i) => `${String(d.logAt[from + i]! - origin).padStart(7)} ms  ${l}`).join('\n');
}

export function readStatus(d: Daemon): StatusSnapshot | null {
  try { return JSON.parse(readFileSync(join(d.runDir, 'status.json'), 'utf8')) as StatusSnapshot; } catch { return null; }
}

/** Polls the status file every 25 ms until `pred` holds; returns the snapshot or null on timeout. */
export async function waitStatus(d: Daemon, pred: (s: StatusSnapshot) => boolean, timeoutMs: number): Promise<StatusSnapshot | null> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    const s = readStatus(d);
    if (s && pred(s)) return s;
    if (d.child.exitCode !== null) return null;
    await sleep(25);
  }
  return null;
}

export function uplinkState(s: StatusSnapshot, iface: string): string | undefined {
  return s.uplinks.find((u) => u.iface === iface)?.state;
}

/** CPU seconds (user + system) the process used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[11] and [12] are utime and stime (fields 14 and 15 of proc(5)), in clock ticks
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}
