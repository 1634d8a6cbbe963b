// `wanpulse run`: wiring and lifecycle. Probers feed the core; the core's actions go to the
// switcher first (failover never waits for MQTT, the status file or logging), then to the log,
// the status file and MQTT.
//
// Invariant: no interface stays forced offline after wanpulse stops: SIGTERM/SIGINT hand every
// owned interface back before exit, and start hands back whatever a crashed instance left in the
// ownership record (the backends' start()).
import type { Backend } from './actions/backend.ts';
import { createMwan3Backend } from './actions/mwan3-backend.ts';
import { createNoneBackend } from './actions/none-backend.ts';
import { createRouteBackend } from './actions/route-backend.ts';
import { createSwitcher } from './actions/switcher.ts';
import { formatProblems, loadConfig } from './config/load.ts';
import type { Config, InterfaceConfig } from './config/types.ts';
import { createCoreState, step, type CoreState } from './core/engine.ts';
import type { CoreAction, CoreEvent } from './core/events.ts';
import { createMqttPublisher, type MqttPublisher } from './mqtt/publisher.ts';
import type { Log, Platform, TimerHandle } from './platform/ports.ts';
import { checkFping } from './probes/fping-check.ts';
import { MWAN3_WRAP_LIB, Prober, type ProbeMode } from './probes/fping-driver.ts';
import { buildSnapshot } from './status/build.ts';
import { warnRunDir } from './status/run-dir.ts';
import { RestartHold } from './restart-hold.ts';
import type { StatusSnapshot, SwitchRecord, TransitionEvent } from './status/model.ts';
import { VERSION } from './version.ts';

export const EXIT_OK = 0;
export const EXIT_CONFIG = 1;
export const EXIT_DEPENDENCY = 2;

const TICK_MS = 500;
const RECONCILE_MS = 1000;
const STATUS_REFRESH_MS = 1000;
const STOP_BUDGET_MS = 1800;

export interface DaemonOptions {
  configDir: string;
  runDir: string;
}

export function createBackend(p: Platform, log: Log, config: Config, runDir: string): Backend {
  const g = config.global;
  switch (g.backend) {
    case 'mwan3':
      return createMwan3Backend({
        spawner: p.spawner, fs: p.fs, clock: p.clock, signals: p.signals, log, runDir,
        uptimeS: () => p.uptimeS(), drain: g.drain, drainOnRecovery: g.drainOnRecovery, mmxMask: g.mmxMask, pid: p.pid,
      });
    case 'route':
      return createRouteBackend({
        spawner: p.spawner, fs: p.fs, clock: p.clock, log, runDir, table: g.routeTable, metric: g.routeMetric,
        drain: g.drain, drainOnRecovery: g.drainOnRecovery, pid: p.pid,
        resilient: g.routeResilient ? { idleTimerS: g.routeIdleTimerS } : false,
      });
    case 'none':
      return createNoneBackend(log);
  }
}

/** Loads and validates the configuration (devices only netifd knows are looked up with ubus);
 *  prints problems. null = do not run. */
export async function loadOrReport(p: Platform, configDir: string): Promise<Config | null> {
  const { config, problems } = await loadConfig({ fs: p.fs, spawner: p.spawner }, configDir, { hostname: p.hostname() });
  // the lines already say error/warning: only the program name goes in front (for logread)
  for (const line of formatProblems(problems).split('\n')) if (line) p.write('stderr', `wanpulse: ${line}\n`);
  return config;
}

/** fping's version decides how probes get mwan3's mark (mwan3-contract.md §4). */
export async function probeMode(p: Platform, log: Log, config: Config): Promise<ProbeMode | null> {
  const checked = await checkFping(p.spawner, config.global.fpingPath);
  if ('error' in checked) { log.error(checked.error); return null; }
  const ver = checked.version;
  const wantMark = config.global.backend === 'mwan3' && config.global.mwan3Wrap !== 'off';
  if (!wantMark) return { wrap: false, fwmark: false };
  if (ver >= 502) return { wrap: false, fwmark: true };
  const hasLib = await p.fs.exists(MWAN3_WRAP_LIB);
  if (hasLib) return { wrap: true, fwmark: false };
  if (config.global.mwan3Wrap === 'on') {
    log.error(`mwan3_wrap is on but ${MWAN3_WRAP_LIB} is missing and fping ${Math.floor(ver / 100)}.${ver % 100} has no --fwmark`);
    return null;
  }
  log.warn(`probes are not marked 0x3f00 (fping < 5.2 and no ${MWAN3_WRAP_LIB}): mwan3 may balance them`);
  return { wrap: false, fwmark: false };
}

export class Daemon {
  private config!: Config;
  private core!: CoreState;
  private backend!: Backend;
  private switcher!: ReturnType<typeof createSwitcher>;
  private hold!: RestartHold;
  private probers = new Map<string, Prober>();
  private mode!: ProbeMode;
  private mqtt: MqttPublisher | null = null;
  private timers: TimerHandle[] = [];
  private lastSwitch = new Map<string, SwitchRecord>();
  private lastEvent: TransitionEvent | null = null;
  private startedAt = 0;
  private writing = false;
  private writeAgain = false;
  private writeFailed = false;
  private wallOffset: number | null = null;
  private stopping = false;
  private reconciling = false;
  private lastWrite = 0;

  constructor(private readonly p: Platform, private readonly log: Log & { setLevel?: (l: Config['global']['logLevel']) => void }, private readonly o: DaemonOptions) {}

  private get statusPath(): string { return `${this.o.runDir}/status.json`; }

  /** Returns an exit code when the daemon must not run; undefined once it is running. */
  async start(): Promise<number | undefined> {
    const { p, log } = this;
    const config = await loadOrReport(p, this.o.configDir);
    if (!config) { log.error('configuration has errors: not starting (wanpulse check-config shows them)'); return EXIT_CONFIG; }
    this.log.setLevel?.(config.global.logLevel);
    if (!config.global.enabled) { log.info('disabled in /etc/config/wanpulse (option enabled 0): exiting'); return EXIT_OK; }
    await p.fs.mkdirp(this.o.runDir).catch((e) => warnRunDir(log, this.o.runDir, e));
    const mode = await probeMode(p, log, config);
    if (!mode) return EXIT_DEPENDENCY;
    this.mode = mode;
    this.config = config;
    this.startedAt = p.clock.wallMs();
    this.core = createCoreState(config, p.clock.nowMs());
    this.backend = createBackend(p, log, config, this.o.runDir);
    this.hold = await RestartHold.load(p.fs, this.o.runDir, config, p.clock.nowMs());
    // a backend that cannot start (run directory missing) still lets wanpulse probe and report
    await this.hold.start(this.backend, config, this.core).catch((e) => log.error(`${config.global.backend}: start: ${(e as Error).message || (e as { code?: string }).code}`));
    this.switcher = createSwitcher(this.backend, p.clock, log, (r) => this.onSwitched(r));
    if (config.interfaces.length === 0) log.warn('no interface to track: enable mwan3 interfaces with track_ip (or add config interface sections for backend route)');
    log.info(`wanpulse ${VERSION} tracking ${config.interfaces.map((i) => `${i.name} (${i.device}: ${i.trackIps.join(' ')})`).join(', ') || 'nothing'} with backend ${config.global.backend} under ${p.runtime}`);
    this.startMqtt();
    for (const i of config.interfaces) await this.startProber(i);
    this.every(TICK_MS, () => this.dispatch({ kind: 'ticked', at: p.clock.nowMs() }));
    this.every(RECONCILE_MS, () => void this.reconcile());
    this.every(STATUS_REFRESH_MS, () => this.statusChanged(false));
    p.signals.on('SIGTERM', () => void this.stop('SIGTERM'));
    p.signals.on('SIGINT', () => void this.stop('SIGINT'));
    p.signals.on('SIGHUP', () => void this.reload());
    this.statusChanged(true);
    return undefined;
  }

  private every(ms: number, fn: () => void): void {
    // absolute deadlines: setInterval drifts under txiki.js
    let next = this.p.clock.nowMs() + ms;
    const idx = this.timers.length;
    const arm = () => {
      this.timers[idx] = this.p.clock.setTimer(Math.max(1, next - this.p.clock.nowMs()), () => {
        next += ms;
        if (next < this.p.clock.nowMs()) next = this.p.clock.nowMs() + ms;
        if (this.stopping) return;
        try { fn(); } catch (e) { this.log.error(`internal error: ${(e as Error).stack ?? e}`); }
        arm();
      });
    };
    arm();
  }

  private async startProber(i: InterfaceConfig): Promise<void> {
    const prober = new Prober({
      spawner: this.p.spawner, clock: this.p.clock, fs: this.p.fs, signals: this.p.signals, log: this.log,
      runDir: this.o.runDir, fpingPath: this.config.global.fpingPath, mode: this.mode, env: this.p.env,
      emit: (e) => this.dispatch(e),
    }, i);
    await prober.endStray();
    this.probers.set(i.name, prober);
    prober.start();
  }

  dispatch(event: CoreEvent): void {
    if (this.stopping) return;
    const actions = this.hold.filter(step(this.core, event, this.config), this.core, event.at);
    if (actions.length === 0) return;
    // switchovers first: nothing below may delay them
    for (const a of actions) {
      if (a.kind === 'takeDown' || a.kind === 'bringUp') {
        const iface = this.config.interfaces.find((i) => i.name === a.iface);
        if (iface) this.switcher.request(iface, a.kind === 'takeDown' ? 'down' : 'up', a.reason, a.at);
      }
    }
    for (const a of actions) this.report(a);
    this.statusChanged(true);
  }

  /** Wall time of a monotonic timestamp. The offset is kept while it agrees with the clocks to
   *  within a second (so `since` does not jitter between snapshots) and renewed when the wall
   *  clock jumped (NTP on a router without a real-time clock). */
  private monoToWall(mono: number): number {
    const offset = this.p.clock.wallMs() - this.p.clock.nowMs();
    if (this.wallOffset === null || Math.abs(offset - this.wallOffset) > 1000) this.wallOffset = offset;
    return this.wallOffset + mono;
  }

  private report(a: CoreAction): void {
    const { log } = this;
    switch (a.kind) {
      case 'announce': {
        const detect = a.detectMs === null ? '' : ` detect ${Math.round(a.detectMs)} ms`;
        const line = `${a.iface} ${a.from} -> ${a.to} (${a.reason})${detect}`;
        if (a.to === 'offline' || a.to === 'unknown') log.warn(line); else log.info(line);
        this.lastEvent = { iface: a.iface, from: a.from, to: a.to, reason: a.reason, detectMs: a.detectMs === null ? null : Math.round(a.detectMs), at: Math.round(this.monoToWall(a.at)) };
        this.mqtt?.publishEvent(this.lastEvent);
        break;
      }
      case 'holdBack':
        log.warn(`${a.iface}: not taking it out of rotation: ${a.reason}`);
        break;
      case 'takeDown':
        log.info(`${a.iface}: taking out of rotation (${this.config.global.backend})`);
        break;
      case 'bringUp':
        log.info(`${a.iface}: handing back (${a.reason})`);
        break;
    }
  }

  private onSwitched(r: { iface: string; direction: 'down' | 'up'; reason: string; decidedAt: number; result: { ok: boolean; steps: { step: string; ms: number }[]; error?: string } }): void {
    const now = this.p.clock.nowMs();
    const rec: SwitchRecord = {
      direction: r.direction, reason: r.reason, at: Math.round(this.monoToWall(r.decidedAt)), ok: r.result.ok,
      steps: r.result.steps.map((s) => ({ step: s.step, ms: Math.round(s.ms) })), totalMs: Math.round(now - r.decidedAt),
    };
    if (r.result.error) rec.error = r.result.error;
    this.lastSwitch.set(r.iface, rec);
    const steps = rec.steps.map((s) => `${s.step} ${s.ms} ms`).join(', ');
    if (r.result.ok) this.log.info(`${r.iface}: switched ${r.direction} in ${rec.totalMs} ms${steps ? ` (${steps})` : ''}`);
    else this.log.error(`${r.iface}: switch ${r.direction} failed after ${rec.totalMs} ms: ${r.result.error ?? 'unknown error'}`);
    this.dispatch({ kind: 'switchFinished', iface: r.iface, direction: r.direction, ok: r.result.ok, error: r.result.error, at: now });
    this.statusChanged(true);
  }

  private async reconcile(): Promise<void> {
    if (this.reconciling) return;
    this.reconciling = true;
    try {
      const rep = await this.backend.reconcile();
      for (const note of rep.repaired) this.log.warn(note);
      const now = [...rep.offlineByMwan3].sort().join(',');
      const before = [...this.core.offlineByMwan3].sort().join(',');
      if (now !== before) {
        if (rep.offlineByMwan3.length) this.log.info(`mwan3's tracker holds offline: ${rep.offlineByMwan3.join(', ')}`);
        this.dispatch({ kind: 'mwan3Reported', offline: rep.offlineByMwan3, at: this.p.clock.nowMs() });
      }
    } catch (e) {
      this.log.warn(`reconcile failed: ${(e as Error).message}`);
    } finally {
      this.reconciling = false;
    }
  }

  snapshot(): StatusSnapshot {
    return buildSnapshot({
      config: this.config, core: this.core, version: VERSION, pid: this.p.pid, startedAt: this.startedAt,
      monoToWall: (m) => this.monoToWall(m), wallNow: this.p.clock.wallMs(), lastSwitch: this.lastSwitch,
      lastEvent: this.lastEvent, mqtt: this.mqtt ? this.mqtt.state() : null,
    });
  }

  /** Writes the status file (atomic) and hands the snapshot to MQTT; never blocks the caller. */
  private statusChanged(changed: boolean): void {
    if (!changed && this.p.clock.nowMs() - this.lastWrite < STATUS_REFRESH_MS - 50) return;
    const snap = this.snapshot();
    this.mqtt?.publishStatus(snap);
    void this.writeStatus(snap);
  }

  private async writeStatus(snap: StatusSnapshot): Promise<void> {
    if (this.writing) { this.writeAgain = true; return; }
    this.writing = true;
    try {
      this.lastWrite = this.p.clock.nowMs();
      await this.p.fs.writeAtomic(this.statusPath, JSON.stringify(snap) + '\n');
      this.writeFailed = false;
    } catch (e) {
      // once per failure streak: a full or read-only /var/run must not flood the log
      if (!this.writeFailed) this.log.warn(`cannot write ${this.statusPath}: ${(e as Error).message}`);
      this.writeFailed = true;
    } finally {
      this.writing = false;
    }
    if (this.writeAgain) { this.writeAgain = false; await this.writeStatus(this.snapshot()); }
  }

  private startMqtt(): void {
    if (!this.config.mqtt.enabled) return;
    this.mqtt = createMqttPublisher({ net: this.p.net, clock: this.p.clock, log: this.log, fs: this.p.fs }, this.config.mqtt, {
      version: VERSION, routerId: this.p.hostname(), policies: this.config.policies,
    });
    this.mqtt.start();
  }

  /** SIGHUP: new config, same health history for unchanged interfaces. */
  async reload(): Promise<void> {
    if (this.stopping) return;
    const { p, log } = this;
    log.info('SIGHUP: reloading configuration');
    const config = await loadOrReport(p, this.o.configDir);
    if (!config) { log.error('reload: configuration has errors; keeping the running one'); return; }
    if (config.global.backend !== this.config.global.backend) log.warn(`reload: backend change (${this.config.global.backend} -> ${config.global.backend}) takes effect after a restart`);
    config.global.backend = this.config.global.backend;
    this.log.setLevel?.(config.global.logLevel);
    const old = new Map(this.config.interfaces.map((i) => [i.name, i]));
    const next = new Map(config.interfaces.map((i) => [i.name, i]));
    for (const [name, i] of old) {
      const n = next.get(name);
      const same = n && JSON.stringify(n) === JSON.stringify(i);
      if (!same) {
        await this.probers.get(name)?.stop();
        this.probers.delete(name);
        if (!n && this.core.forced.has(name)) this.switcher.request(i, 'up', 'removed from the configuration', p.clock.nowMs());
      }
    }
    const oldMqtt = JSON.stringify(this.config.mqtt);
    this.config = config;
    this.core = createCoreState(config, p.clock.nowMs(), this.core);
    for (const [name, i] of next) if (!this.probers.has(name)) await this.startProber(i);
    if (JSON.stringify(config.mqtt) !== oldMqtt) {
      await this.mqtt?.stop();
      this.mqtt = null;
      this.startMqtt();
    }
    this.statusChanged(true);
  }

  /** SIGTERM: stop probing, hand everything back, final status, exit. Bounded. */
  async stop(why: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { p, log } = this;
    log.info(`${why}: stopping, handing every interface back`);
    p.clock.setTimer(STOP_BUDGET_MS + 150, () => { log.error('stop took too long: exiting anyway'); p.exit(EXIT_OK); });
    for (const t of this.timers) p.clock.clearTimer(t);
    await Promise.all([...this.probers.values()].map((pr) => pr.stop().catch(() => undefined)));
    await withTimeout(p, this.switcher.idle(), 800);
    await withTimeout(p, this.backend.stop().catch((e) => log.error(`hand-back failed: ${(e as Error).message}`)), 1000);
    for (const i of this.core.forced) this.core.forced.delete(i);
    try { await p.fs.writeAtomic(this.statusPath, JSON.stringify(this.snapshot()) + '\n'); } catch { /* best effort */ }
    await withTimeout(p, this.mqtt?.stop() ?? Promise.resolve(), 400);
    log.info('stopped');
    p.exit(EXIT_OK);
  }
}

function withTimeout<T>(p: Platform, work: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = p.clock.setTimer(ms, () => resolve(undefined));
    work.then((v) => { p.clock.clearTimer(t); resolve(v); }, () => { p.clock.clearTimer(t); resolve(undefined); });
  });
}
