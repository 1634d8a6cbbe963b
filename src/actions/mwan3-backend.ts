// The mwan3 switchover backend: wanpulse *owns* an interface while it holds it down, exactly as
// ../shared/design/mwan3-contract.md §4 describes.
//
// Down: 1 STATUS=offline (so the tracker's own `disconnected` on USR1 is skipped as a duplicate),
//       2 `disconnected` hotplug event (routing switches: the latency that counts), 3 drain the
//       interface's flows by mark, 4 park mwan3track (USR1, wait for STATUS=disabled),
//       5 rewrite the three files (the parked tracker writes nothing more).
// Up:   `connected` hotplug event (never FIRSTCONNECT, which 15-mwan3 ignores), optional drain,
//       USR2 to the tracker. The resumed tracker keeps watching: if the link is in fact dead it
//       takes it down again by itself, so handing back is self-correcting.
//
// Invariants kept here:
// - the ownership record is written before anything is changed and cleared only after the hand-back,
//   so a crash at any point leaves enough for the next start to undo;
// - stop() and start() hand back everything: no interface stays forced offline after wanpulse;
// - an interface mwan3track itself holds offline is reported, never fought;
// - one operation per interface at a time (a per-interface queue, also against reconcile()).
import type { Backend, ReconcileReport, SwitchResult } from './backend.ts';
import type { Family, InterfaceConfig } from '../config/types.ts';
import type { Clock, FileSystem, Log, Signals, Spawner } from '../platform/ports.ts';
import type { StepTiming } from '../status/model.ts';
import { Ownership } from './ownership.ts';
import { drainByMark, hex, isDrainableMark } from './drain.ts';
import {
  DEFAULT_MWAN3_PATHS, findTrackerPid, isValidName, offlineFiles, onlineFiles, readIfaceState,
  readStateFiles, readTracker, writeStateFiles, type Mwan3Paths,
} from './mwan3-files.ts';

export interface Mwan3BackendDeps {
  spawner: Spawner;
  fs: FileSystem;
  clock: Clock;
  signals: Signals;
  log: Log;
  /** wanpulse's own run directory (ownership record `<runDir>/owned.json`) */
  runDir: string;
  uptimeS: () => Promise<number>;
  paths?: Partial<Mwan3Paths>;
  drain: boolean;
  drainOnRecovery: boolean;
  mmxMask: number;
  /** this process's pid, stored in the ownership record for the logs of a later instance */
  pid?: number;
  /** how long to wait for a signalled tracker to report STATUS=disabled */
  parkTimeoutMs?: number;
}

/** Where the interface stands while we own it (not persisted: rebuilt by reconcile()). */
interface Held {
  device: string;
  mark: number;
  family: Family;
  /** the tracker pid we parked, null when none was running */
  parkedPid: number | null;
  /** uptime seconds written to OFFLINE */
  offlineS: number;
}

const HOTPLUG_TIMEOUT_MS = 60_000; // 15-mwan3 waits for mwan3's procd lock; slow MIPS boxes take seconds
const PARK_POLL_MS = 25;
const RETRY_MAX_MS = 30_000;

class Steps {
  readonly list: StepTiming[] = [];
  readonly errors: string[] = [];
  constructor(private readonly clock: Clock, private readonly startMs: number) {}
  done(step: string, error?: string): void {
    this.list.push({ step, ms: Math.round(this.clock.nowMs() - this.startMs) });
    if (error) this.errors.push(`${step}: ${error}`);
  }
  result(): SwitchResult {
    return this.errors.length
      ? { ok: false, steps: this.list, error: this.errors.join('; ') }
      : { ok: true, steps: this.list };
  }
}

const fmtSteps = (steps: StepTiming[]) => steps.map((s) => `${s.step} ${s.ms}ms`).join(', ');

export class Mwan3Backend implements Backend {
  readonly name = 'mwan3' as const;
  private readonly paths: Mwan3Paths;
  private readonly ownership: Ownership;
  private readonly ifaces = new Map<string, InterfaceConfig>();
  private readonly held = new Map<string, Held>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly pending = new Map<string, number>();
  private readonly retry = new Map<string, { failures: number; atMs: number }>();

  constructor(private readonly d: Mwan3BackendDeps) {
    this.paths = { ...DEFAULT_MWAN3_PATHS, ...d.paths };
    this.ownership = new Ownership(d.fs, `${d.runDir}/owned.json`, 'mwan3', d.pid ?? 0);
  }

  owned(): string[] {
    return this.ownership.list();
  }

  async start(ifaces: InterfaceConfig[], keep: ReadonlySet<string> = new Set()): Promise<void> {
    for (const i of ifaces) this.ifaces.set(i.name, i);
    await this.d.fs.mkdirp(this.d.runDir);
    const prev = await this.ownership.loadPrevious();
    if (prev && prev.backend === 'unknown') this.d.log.warn(`mwan3: unreadable ownership record in ${this.d.runDir}: ignored`);
    for (const [name, entry] of Object.entries(prev?.owned ?? {})) {
      if (!isValidName(name) || typeof entry?.device !== 'string' || !isValidName(entry.device)) {
        this.d.log.error(`mwan3: ownership record names an invalid interface ${JSON.stringify(name)}: skipped`);
        continue;
      }
      const kept = this.ifaces.get(name);
      if (kept && keep.has(name)) {
        // still parked and offline in mwan3: stays so until its first rounds decide
        this.d.log.info(`mwan3: ${name} was held offline by an earlier wanpulse (pid ${prev!.pid}): keeping it out until its first rounds decide`);
        await this.ownership.add(name, { since: entry.since, device: kept.device, mark: kept.mark });
        continue;
      }
      this.d.log.info(`mwan3: ${name} was held offline by an earlier wanpulse (pid ${prev!.pid}): handing it back to mwan3`);
      const family = this.ifaces.get(name)?.family ?? 'ipv4';
      await this.serial(name, () => this.handBack(name, entry.device, family, 'previous instance ended', true));
    }
    await this.ownership.save();
  }

  async takeDown(iface: InterfaceConfig, reason: string): Promise<SwitchResult> {
    const startMs = this.d.clock.nowMs();
    const invalid = this.invalid(iface);
    if (invalid) return { ok: false, steps: [], error: invalid };
    return this.serial(iface.name, async () => {
      this.ifaces.set(iface.name, iface);
      try {
        await this.ownership.add(iface.name, { since: this.d.clock.wallMs(), device: iface.device, mark: iface.mark });
      } catch (e) {
        // Without the record a crash could leave the interface forced offline: change nothing.
        return { ok: false, steps: [], error: `ownership record: ${(e as Error).message}` };
      }
      const res = await this.applyDown(iface.name, iface.device, iface.mark, iface.family, startMs);
      this.logResult('took', iface.name, 'out of rotation', reason, res);
      return res;
    });
  }

  async bringUp(iface: InterfaceConfig, reason: string): Promise<SwitchResult> {
    const invalid = this.invalid(iface);
    if (invalid) return { ok: false, steps: [], error: invalid };
    return this.serial(iface.name, () => this.handBack(iface.name, iface.device, iface.family, reason, false));
  }

  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { offlineByMwan3: [], repaired: [] };
    for (const name of this.ownership.list()) {
      if ((this.pending.get(name) ?? 0) > 0) continue; // a switchover is running: not our turn
      const retry = this.retry.get(name);
      if (retry && this.d.clock.nowMs() < retry.atMs) continue;
      try {
        const note = await this.serial(name, () => this.repair(name));
        if (note) report.repaired.push(note);
      } catch (e) {
        this.d.log.error(`mwan3: reconcile ${name}: ${(e as Error).message}`);
      }
    }
    for (const name of this.ifaces.keys()) {
      if (this.ownership.owns(name)) continue;
      try {
        const t = await readTracker(this.d.fs, this.paths.trackDir, name);
        if (t.status === 'offline') report.offlineByMwan3.push(name);
      } catch { /* unreadable tmpfs file: next round */ }
    }
    return report;
  }

  async stop(): Promise<void> {
    for (const name of this.ownership.list()) {
      const entry = this.ownership.entry(name)!;
      const family = this.held.get(name)?.family ?? this.ifaces.get(name)?.family ?? 'ipv4';
      await this.serial(name, () => this.handBack(name, entry.device, family, 'wanpulse stopping', true));
    }
    await this.ownership.save();
  }

  // ---- the sequences ----

  private async applyDown(name: string, device: string, mark: number, family: Family, startMs: number): Promise<SwitchResult> {
    const steps = new Steps(this.d.clock, startMs);
    const before = await readStateFiles(this.d.fs, this.paths.trackDir, name).catch(() => null);
    const offlineS = await this.uptime();
    const offline = offlineFiles(offlineS);
    steps.done('status', await this.attempt(() => writeStateFiles(this.d.fs, this.paths.trackDir, name, offline)));

    const hotplugError = await this.hotplug('disconnected', name, device);
    steps.done('hotplug', hotplugError);
    if (hotplugError) {
      // Routing did not switch: leave mwan3track running as the detector and put its files back.
      if (before) await this.attempt(() => writeStateFiles(this.d.fs, this.paths.trackDir, name, before));
      if (!this.held.has(name)) this.held.set(name, { device, mark, family, parkedPid: null, offlineS });
      return steps.result();
    }

    if (this.d.drain) {
      const r = await drainByMark(this.d.spawner, this.d.log, mark, this.d.mmxMask, family, this.drainOpts());
      steps.done('drain', r.errors.length ? r.errors.join(', ') : undefined);
    }

    const park = await this.park(name);
    steps.done('park', park.error);
    this.held.set(name, { device, mark, family, parkedPid: park.pid, offlineS });

    steps.done('rewrite', await this.attempt(() => writeStateFiles(this.d.fs, this.paths.trackDir, name, offline)));
    return steps.result();
  }

  /** Hotplug `connected`, optional drain, USR2, clear ownership. `force` (stop, start): hand back
   *  even when the hotplug event failed, because nobody will hold the interface afterwards. */
  private async handBack(name: string, device: string, family: Family, reason: string, force: boolean): Promise<SwitchResult> {
    const steps = new Steps(this.d.clock, this.d.clock.nowMs());
    const hotplugError = await this.hotplug('connected', name, device);
    steps.done('hotplug', hotplugError);
    if (hotplugError && !force) {
      const res = steps.result();
      this.logResult('could not put', name, 'back into rotation', reason, res);
      return res; // still owned: the tracker stays parked, the caller may retry
    }

    if (this.d.drainOnRecovery && !hotplugError) {
      const errors = await this.drainOthers(name, family);
      steps.done('drain', errors.length ? errors.join(', ') : undefined);
    }

    // Written before USR2 so no reader sees a stale "offline" once we let go (and when no tracker
    // runs at all). A resumed tracker overwrites STATUS with its initial_state.
    const uptimeS = await this.uptime();
    const resumeError = await this.attempt(() => writeStateFiles(this.d.fs, this.paths.trackDir, name, onlineFiles(uptimeS)));
    const found = await findTrackerPid(this.d.spawner, this.d.fs, this.paths, name);
    const held = this.held.get(name);
    if (found.pid === null) {
      this.d.log.debug(() => `mwan3: no tracker to resume for ${name}${found.error ? ` (${found.error})` : ''}`);
    } else if (held && held.parkedPid !== found.pid) {
      // We never parked this tracker (switch failed before parking, or procd respawned it and
      // reconcile has not parked the new one yet): it is running, leave it alone. Without `held`
      // (hand-back after a crash) we cannot know, and USR2 is what an earlier park needs.
      this.d.log.debug(() => `mwan3: tracker ${found.pid} of ${name} was not parked by us: not resumed`);
    } else if (!this.d.signals.kill(found.pid, 'SIGUSR2')) {
      this.d.log.debug(() => `mwan3: tracker ${found.pid} of ${name} is gone`);
    }
    steps.done('resume', resumeError);

    this.held.delete(name);
    this.retry.delete(name);
    try {
      await this.ownership.remove(name);
    } catch (e) {
      steps.done('release', `ownership record: ${(e as Error).message}`);
    }
    const res = steps.result();
    this.logResult('handed', name, 'back to mwan3', reason, res);
    return res;
  }

  /** What reconcile() does for one owned interface; returns a note when it repaired something. */
  private async repair(name: string): Promise<string | null> {
    const entry = this.ownership.entry(name);
    if (!entry) return null; // handed back while we waited
    const held = this.held.get(name);
    const family = held?.family ?? this.ifaces.get(name)?.family ?? 'ipv4';
    const state = await readIfaceState(this.d.fs, this.paths.mwan3RunDir, name);
    if (state === 'online') {
      // /var/run/mwan3 was rebuilt (mwan3 restart, LuCI Save & Apply, boot) and the interface is
      // back in rotation while it is dead as far as we know: send the whole down sequence again.
      const res = await this.applyDown(name, entry.device, entry.mark, family, this.d.clock.nowMs());
      return this.noteRepair(name, res, 'mwan3 put it back into rotation (restart?): took it out again');
    }
    const t = await readTracker(this.d.fs, this.paths.trackDir, name);
    const parkedPid = held?.parkedPid ?? null;
    const respawned = (t.pid !== null && t.pid !== parkedPid) || t.started === true ||
      (t.status !== null && t.status !== 'offline' && t.status !== 'disabled');
    if (respawned) {
      // procd restarted the tracker: it runs again with its initial state. Park it without a
      // routing change (iface_state still says offline).
      const steps = new Steps(this.d.clock, this.d.clock.nowMs());
      const offline = offlineFiles(held?.offlineS ?? await this.uptime());
      steps.done('status', await this.attempt(() => writeStateFiles(this.d.fs, this.paths.trackDir, name, offline)));
      const park = await this.park(name);
      steps.done('park', park.error);
      this.held.set(name, { device: entry.device, mark: entry.mark, family, parkedPid: park.pid, offlineS: held?.offlineS ?? 0 });
      steps.done('rewrite', await this.attempt(() => writeStateFiles(this.d.fs, this.paths.trackDir, name, offline)));
      return this.noteRepair(name, steps.result(), `tracker restarted (pid ${t.pid ?? park.pid ?? '?'}): parked it again`);
    }
    if (t.status === 'disabled') {
      // A late USR1 (the tracker was inside a long ping) overwrote our files after the rewrite.
      await this.attempt(() => writeStateFiles(this.d.fs, this.paths.trackDir, name, offlineFiles(held?.offlineS ?? 0)));
    }
    return null;
  }

  private noteRepair(name: string, res: SwitchResult, what: string): string {
    const note = `${name}: ${what}${res.ok ? '' : ` (failed: ${res.error})`}`;
    if (res.ok) {
      this.retry.delete(name);
      this.d.log.info(`mwan3: ${note}`);
    } else {
      // Back off so a broken hotplug-call does not turn reconcile into a fork loop.
      const failures = (this.retry.get(name)?.failures ?? 0) + 1;
      this.retry.set(name, { failures, atMs: this.d.clock.nowMs() + Math.min(RETRY_MAX_MS, 1000 * 2 ** (failures - 1)) });
      this.d.log.warn(`mwan3: ${note}`);
    }
    return note;
  }

  // ---- single steps ----

  /** `env -i ACTION=… INTERFACE=… DEVICE=… /sbin/hotplug-call iface`, as mwan3track runs it. */
  private async hotplug(action: 'connected' | 'disconnected', name: string, device: string): Promise<string | undefined> {
    try {
      const res = await this.d.spawner.run([this.paths.hotplugCall, 'iface'], {
        env: { ACTION: action, INTERFACE: name, DEVICE: device },
        timeoutMs: HOTPLUG_TIMEOUT_MS,
      });
      if (res.code === 0) return undefined;
      const detail = res.stderr.trim().split('\n').pop();
      return `${this.paths.hotplugCall} iface (${action}) failed: ${res.signal ? `killed by ${res.signal}` : `exit ${res.code}`}${detail ? `: ${detail}` : ''}`;
    } catch (e) {
      const err = e as Error & { code?: string };
      return err.code === 'ENOENT'
        ? `${this.paths.hotplugCall} not found: mwan3 cannot be switched (is this OpenWrt with mwan3 installed?)`
        : `${this.paths.hotplugCall}: ${err.message}`;
    }
  }

  /** USR1 to the tracker, then wait until it reports STATUS=disabled (it is parked until USR2). */
  private async park(name: string): Promise<{ pid: number | null; error?: string }> {
    const found = await findTrackerPid(this.d.spawner, this.d.fs, this.paths, name);
    if (found.pid === null) {
      // No tracker (no track_ip, mwan3 stopped): nothing watches the interface, nothing to park.
      this.d.log.debug(() => `mwan3: no tracker for ${name}${found.error ? ` (${found.error})` : ''}`);
      return { pid: null };
    }
    const t = await readTracker(this.d.fs, this.paths.trackDir, name);
    if (found.pid === this.held.get(name)?.parkedPid && t.started !== true) return { pid: found.pid }; // already parked
    if (!this.d.signals.kill(found.pid, 'SIGUSR1')) {
      this.d.log.debug(() => `mwan3: tracker ${found.pid} of ${name} is not running`);
      return { pid: null };
    }
    const timeoutMs = this.d.parkTimeoutMs ?? 2000;
    const deadline = this.d.clock.nowMs() + timeoutMs;
    for (let i = 0; i < Math.ceil(timeoutMs / PARK_POLL_MS) + 1; i++) {
      const now = await readTracker(this.d.fs, this.paths.trackDir, name);
      if (now.status === 'disabled') return { pid: found.pid };
      if (this.d.clock.nowMs() >= deadline) break;
      await this.sleep(PARK_POLL_MS);
    }
    return { pid: found.pid, error: `tracker ${found.pid} did not confirm parking within ${timeoutMs} ms` };
  }

  /** drain_on_recovery: flows that moved to the other uplinks during the outage stay pinned there
   *  by their conntrack mark; draining those uplinks' marks lets the policy place them afresh, so
   *  a preferred uplink gets its traffic back. Only uplinks of the same family still in rotation. */
  private async drainOthers(name: string, family: Family): Promise<string[]> {
    const errors: string[] = [];
    for (const other of this.ifaces.values()) {
      if (other.name === name || other.family !== family || this.ownership.owns(other.name)) continue;
      if (!isDrainableMark(other.mark, this.d.mmxMask)) continue;
      const r = await drainByMark(this.d.spawner, this.d.log, other.mark, this.d.mmxMask, family, this.drainOpts());
      errors.push(...r.errors.map((e) => `${other.name} ${hex(other.mark)}: ${e}`));
    }
    return errors;
  }

  // ---- helpers ----

  private invalid(iface: InterfaceConfig): string | null {
    if (!isValidName(iface.name)) return `invalid interface name ${JSON.stringify(iface.name)}`;
    if (!isValidName(iface.device)) return `invalid device name ${JSON.stringify(iface.device)} for ${iface.name}`;
    return null;
  }

  private drainOpts() {
    return { clock: this.d.clock, conntrack: this.paths.conntrack, ipset: this.paths.ipset };
  }

  private async attempt(fn: () => Promise<void>): Promise<string | undefined> {
    try {
      await fn();
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }

  private async uptime(): Promise<number> {
    try {
      return Math.floor(await this.d.uptimeS());
    } catch {
      return 0;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => { this.d.clock.setTimer(ms, resolve); });
  }

  private serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.pending.set(name, (this.pending.get(name) ?? 0) + 1);
    const run = (this.queues.get(name) ?? Promise.resolve()).then(fn).finally(() => {
      this.pending.set(name, (this.pending.get(name) ?? 1) - 1);
    });
    this.queues.set(name, run.catch(() => undefined));
    return run;
  }

  private logResult(verb: string, name: string, what: string, reason: string, res: SwitchResult): void {
    const text = `mwan3: ${verb} ${name} ${what} (${reason}): ${fmtSteps(res.steps)}`;
    if (res.ok) this.d.log.info(text);
    else this.d.log.error(`${text}: ${res.error}`);
  }
}

export function createMwan3Backend(deps: Mwan3BackendDeps): Backend & { owned(): string[] } {
  return new Mwan3Backend(deps);
}
