// `wanpulse run`: the lifecycle. start() loads the configuration, lets the backend undo what a
// crashed instance left (ownership record), starts one prober per interface, MQTT and the timers;
// stop() hands every interface back within its budget and exits. What happens to each event is in
// decide.ts; status file, reporting, reconcile and reload each have their own file beside this one.
//
// Invariant: no interface stays forced offline after wanpulse stops: SIGTERM/SIGINT hand every
// owned interface back before exit, and start hands back whatever a crashed instance left in the
// ownership record (the backends' start()).
import { createSwitcher } from '../actions/switcher.ts';
import type { Config, InterfaceConfig } from '../config/types.ts';
import { createCoreState } from '../core/engine.ts';
import type { CoreEvent } from '../core/events.ts';
import { createMqttPublisher } from '../mqtt/publisher.ts';
import type { Log, LogLevel, Platform, TimerHandle } from '../platform/ports.ts';
import { CounterSampler } from '../evidence/counters.ts';
import { Confirmer } from '../probes/confirm.ts';
import { Prober, type ProbeMode } from '../probes/fping-driver.ts';
import { buildSnapshot } from '../status/build.ts';
import { StatusHistory } from '../status/history.ts';
import type { StatusSnapshot } from '../status/model.ts';
import { warnRunDir } from '../status/run-dir.ts';
import { VERSION } from '../version.ts';
import { decide } from './decide.ts';
import { createReconciler } from './reconcile.ts';
import { reload } from './reload.ts';
import { recordSwitch, reportAction } from './report.ts';
import { RestartHold } from './restart-hold.ts';
import { createBackend, EXIT_CONFIG, EXIT_DEPENDENCY, EXIT_OK, loadOrReport, probeMode, type DaemonOptions } from './startup.ts';
import type { DaemonState } from './state.ts';
import { STATUS_REFRESH_MS, StatusWriter } from './status-writer.ts';
import { WallClock } from './wall-clock.ts';

const TICK_MS = 500;
const RECONCILE_MS = 1000;
/** under txiki.js, how often fping's check is renewed (it is fresh for 5 s: platform/program.ts) */
const PROGRAM_CHECK_MS = 3000;
/** a full garbage collection under txiki.js (Platform.collectGarbage): ~1 ms, keeps RSS flat */
const GC_MS = 60_000;
const STOP_BUDGET_MS = 1800;

export class Daemon {
  private s!: DaemonState;
  private probers = new Map<string, Prober>();
  /** one for every uplink with traffic evidence: one timer, one read of /proc/net/dev */
  private sampler: CounterSampler | null = null;
  private confirmers = new Map<string, Confirmer>();
  /** the wake-up time armed per uplink (Uplink.wakeAt) */
  private wakes = new Map<string, number>();
  private mode!: ProbeMode;
  private timers: TimerHandle[] = [];
  private startedAt = 0;
  private readonly wall: WallClock;
  private status!: StatusWriter;
  private hold!: RestartHold;

  constructor(private readonly p: Platform, private readonly log: Log & { setLevel?: (l: LogLevel) => void }, private readonly o: DaemonOptions) {
    this.wall = new WallClock(p.clock);
  }

  /** Returns an exit code when the daemon must not run; undefined once it is running. */
  async start(): Promise<number | undefined> {
    const { p, log } = this;
    const config = await loadOrReport(p, this.o.configDir);
    if (!config) { log.error('configuration has errors: not starting (wanpulse check-config shows them)'); return EXIT_CONFIG; }
    log.setLevel?.(config.global.logLevel);
    if (!config.global.enabled) { log.info('disabled in /etc/config/wanpulse (option enabled 0): exiting'); return EXIT_OK; }
    await p.fs.mkdirp(this.o.runDir).catch((e) => warnRunDir(log, this.o.runDir, e));
    const mode = await probeMode(p, log, config);
    if (!mode) return EXIT_DEPENDENCY;
    this.mode = mode;
    this.startedAt = p.clock.wallMs();
    const backend = createBackend(p, log, config, this.o.runDir);
    const core = createCoreState(config, p.clock.nowMs());
    this.hold = await RestartHold.load(p.fs, this.o.runDir, config, p.clock.nowMs());
    // a backend that cannot start (run directory missing) still lets wanpulse probe and report
    await this.hold.start(backend, config, core).catch((e) => log.error(`${config.global.backend}: start: ${(e as Error).message || (e as { code?: string }).code}`));
    this.s = {
      config, core, backend, mqtt: null,
      switcher: createSwitcher(backend, p.clock, log, (r) => {
        const now = p.clock.nowMs();
        recordSwitch(this.s, log, this.wall, r, now);
        this.dispatch({ kind: 'switchFinished', iface: r.iface, direction: r.direction, ok: r.result.ok, error: r.result.error, at: now });
        this.status.changed(true);
      }, this.hold.names),
      lastSwitch: new Map(), lastEvent: null, stopping: false,
    };
    // every snapshot goes to MQTT and to the short history LuCI's graph reads (history.json)
    const history = new StatusHistory(p.fs, `${this.o.runDir}/history.json`);
    this.status = new StatusWriter(p.fs, p.clock, log, `${this.o.runDir}/status.json`, () => this.snapshot(), (snap) => {
      this.s.mqtt?.publishStatus(snap);
      history.record(snap);
    });
    if (config.interfaces.length === 0) log.warn('no interface to track: enable mwan3 interfaces with track_ip (or add config interface sections for backend route)');
    log.info(`wanpulse ${VERSION} tracking ${config.interfaces.map((i) => `${i.name} (${i.device}: ${i.trackIps.join(' ')})`).join(', ') || 'nothing'} with backend ${config.global.backend} under ${p.runtime}`);
    this.startMqtt();
    for (const i of config.interfaces) await this.startProber(i);
    const reconcile = createReconciler(this.s, log, p.clock, (e) => this.dispatch(e));
    this.every(TICK_MS, () => this.dispatch({ kind: 'ticked', at: p.clock.nowMs() }));
    this.every(RECONCILE_MS, () => void reconcile());
    this.every(STATUS_REFRESH_MS, () => this.status.changed(false));
    const gc = p.collectGarbage?.bind(p);
    if (gc) this.every(GC_MS, gc);
    // txiki.js starts a long-lived child only after a check seconds old (platform/program.ts);
    // a prober's change of rate and a confirmation come unannounced, so fping's check is kept fresh
    // (a stat and a 4-byte read every 3 s)
    if (p.runtime === 'txiki' && p.spawner.prepare) {
      const prepare = p.spawner.prepare.bind(p.spawner);
      this.every(PROGRAM_CHECK_MS, () => void prepare(this.s.config.global.fpingPath));
    }
    p.signals.on('SIGTERM', () => void this.stop('SIGTERM'));
    p.signals.on('SIGINT', () => void this.stop('SIGINT'));
    p.signals.on('SIGHUP', () => void this.reload());
    this.status.changed(true);
    return undefined;
  }

  dispatch(event: CoreEvent): void {
    this.decide(event);
    // an idle line that waits for late replies is decided when the wait ends, not at the next round
    if (event.kind === 'probeResult' && !event.ok) this.armWake(event.iface);
  }

  private armWake(iface: string): void {
    const at = this.s.core.uplinks.get(iface)?.wakeAt() ?? null;
    if (at === null || this.wakes.get(iface) === at) return;
    this.wakes.set(iface, at);
    this.p.clock.setTimer(Math.max(1, at - this.p.clock.nowMs()), () => {
      if (this.wakes.get(iface) !== at) return;
      this.wakes.delete(iface);
      this.decide({ kind: 'wake', iface, at: this.p.clock.nowMs() });
    });
  }

  private decide(event: CoreEvent): void {
    decide(this.s, event, this.hold, {
      probes: (a) => {
        if (a.kind === 'probeRate') this.probers.get(a.iface)?.setRate(a.rate);
        else this.confirmers.get(a.iface)?.run(a.waitMs);
      },
      report: (a) => reportAction(this.s, this.log, this.wall, a),
      statusChanged: () => this.status.changed(true),
    });
  }

  snapshot(): StatusSnapshot {
    const s = this.s;
    return buildSnapshot({
      config: s.config, core: s.core, version: VERSION, pid: this.p.pid, startedAt: this.startedAt,
      monoToWall: (m) => this.wall.toWall(m), wallNow: this.p.clock.wallMs(), lastSwitch: s.lastSwitch,
      lastEvent: s.lastEvent, mqtt: s.mqtt ? s.mqtt.state() : null,
    });
  }

  /** SIGHUP: new config, same health history for unchanged interfaces. */
  async reload(): Promise<void> {
    if (this.s.stopping) return;
    await reload(this.s, this.p, this.log, this.o.configDir, {
      stopProber: (name) => this.stopProber(name),
      hasProber: (name) => this.probers.has(name),
      startProber: (i) => this.startProber(i),
      restartMqtt: async () => { await this.s.mqtt?.stop(); this.s.mqtt = null; this.startMqtt(); },
    });
    this.status.changed(true);
  }

  /** SIGTERM: stop probing, hand everything back, final status, exit. Bounded. */
  async stop(why: string): Promise<void> {
    const s = this.s;
    if (s.stopping) return;
    s.stopping = true;
    const { p, log } = this;
    log.info(`${why}: stopping, handing every interface back`);
    const begun = p.clock.nowMs();
    p.clock.setTimer(STOP_BUDGET_MS + 150, () => { log.error('stop took too long: exiting anyway'); p.exit(EXIT_OK); });
    for (const t of this.timers) p.clock.clearTimer(t);
    this.sampler?.stop();
    for (const c of this.confirmers.values()) c.stop();
    await Promise.all([...this.probers.values()].map((pr) => pr.stop().catch(() => undefined)));
    await withTimeout(p, s.switcher.idle(), 800);
    // the hand-back gets what is left of the budget but the final status and MQTT's goodbye
    const handBackMs = Math.max(1000, STOP_BUDGET_MS - (p.clock.nowMs() - begun) - 450);
    await withTimeout(p, s.backend.stop().catch((e) => log.error(`hand-back failed: ${(e as Error).message}`)), handBackMs);
    s.core.forced.clear();
    await this.status.final();
    await withTimeout(p, s.mqtt?.stop() ?? Promise.resolve(), 400);
    log.info('stopped');
    p.exit(EXIT_OK);
  }

  private every(ms: number, fn: () => void): void {
    // absolute deadlines: setInterval drifts under txiki.js
    let next = this.p.clock.nowMs() + ms;
    const idx = this.timers.length;
    const arm = () => {
      this.timers[idx] = this.p.clock.setTimer(Math.max(1, next - this.p.clock.nowMs()), () => {
        next += ms;
        if (next < this.p.clock.nowMs()) next = this.p.clock.nowMs() + ms;
        if (this.s.stopping) return;
        try { fn(); } catch (e) { this.log.error(`internal error: ${(e as Error).stack ?? e}`); }
        arm();
      });
    };
    arm();
  }

  private async stopProber(name: string): Promise<void> {
    this.sampler?.remove(name);
    this.confirmers.get(name)?.stop();
    this.confirmers.delete(name);
    await this.probers.get(name)?.stop();
    this.probers.delete(name);
  }

  private async startProber(i: InterfaceConfig): Promise<void> {
    const deps = {
      spawner: this.p.spawner, clock: this.p.clock, fs: this.p.fs, signals: this.p.signals, log: this.log,
      runDir: this.o.runDir, fpingPath: this.s.config.global.fpingPath, mode: this.mode, env: this.p.env,
      emit: (e: CoreEvent) => this.dispatch(e),
    };
    const prober = new Prober(deps, i);
    await prober.endStray();
    this.probers.set(i.name, prober);
    prober.start();
    if (!i.health.trafficEvidence) return;
    this.confirmers.set(i.name, new Confirmer(deps, i));
    this.sampler ??= new CounterSampler(this.p.fs, this.p.clock, (e) => this.dispatch(e));
    this.sampler.add(i.name, i.device);
  }

  private startMqtt(): void {
    const config: Config = this.s.config;
    if (!config.mqtt.enabled) return;
    this.s.mqtt = createMqttPublisher({ net: this.p.net, clock: this.p.clock, log: this.log, fs: this.p.fs }, config.mqtt, {
      version: VERSION, routerId: this.p.hostname(), policies: config.policies,
    });
    this.s.mqtt.start();
  }
}

function withTimeout<T>(p: Platform, work: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = p.clock.setTimer(ms, () => resolve(undefined));
    work.then((v) => { p.clock.clearTimer(t); resolve(v); }, () => { p.clock.clearTimer(t); resolve(undefined); });
  });
}
