// The mwan3 switchover backend: wanpulse *owns* an interface while it holds it down, as
// docs/mwan3-backend.md describes.
//
// Down: 1 STATUS=offline, 2 `disconnected` hotplug event (routing switches: the latency that
//       counts, and the switch is done here), 3 drain the interface's flows by mark, 4 begin
//       parking mwan3track (park.ts: beside the switch, never in front of it).
// Up:   `connected` hotplug event, optional drain, USR2 to the tracker (resume.ts: with `up 1` the
//       tracker's own `connected` is the hand-back). A park still under way never delays it.
//
// Invariants kept here:
// - the ownership record is written before anything is changed and cleared only after the hand-back,
//   so a crash at any point leaves enough for the next start to undo;
// - stop() and start() hand back everything: no interface stays forced offline after wanpulse;
// - an interface mwan3track itself holds offline is reported, never fought;
// - one operation per interface at a time (a per-interface queue, also against reconcile()).
import type { Backend, ReconcileReport, SwitchResult } from '../backend.ts';
import type { Family, InterfaceConfig, Mwan3TrackerSettings } from '../../config/types.ts';
import { MWAN3TRACK_DEFAULTS } from '../../config/mwan3-tracker.ts';
import type { Clock, FileSystem, Log, Signals, Spawner } from '../../platform/ports.ts';
import { Ownership } from '../ownership.ts';
import { drainByMark } from './drain.ts';
import {
  DEFAULT_MWAN3_PATHS, findTrackerPid, isParked, isValidName, offlineFiles, readStateFiles,
  readTracker, writeStateFiles, type Mwan3Paths,
} from './files.ts';
import { TrackerPark } from './park.ts';
import { repair, type Held, type RetryState } from './reconcile.ts';
import { handBack } from './handback.ts';
import { attempt, fmtSteps, hotplug, prepareHotplug, Steps } from './steps.ts';

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
}

export class Mwan3Backend implements Backend {
  readonly name = 'mwan3' as const;
  readonly paths: Mwan3Paths;
  readonly ownership: Ownership;
  readonly ifaces = new Map<string, InterfaceConfig>();
  readonly held = new Map<string, Held>();
  readonly retry = new Map<string, RetryState>();
  readonly park: TrackerPark;
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly pending = new Map<string, number>();

  constructor(readonly d: Mwan3BackendDeps) {
    this.paths = { ...DEFAULT_MWAN3_PATHS, ...d.paths };
    this.ownership = new Ownership(d.fs, `${d.runDir}/owned.json`, 'mwan3', d.pid ?? 0);
    this.park = new TrackerPark({ fs: d.fs, clock: d.clock, signals: d.signals, log: d.log, paths: this.paths });
  }

  owned(): string[] {
    return this.ownership.list();
  }

  async start(ifaces: InterfaceConfig[], keep: ReadonlySet<string> = new Set()): Promise<void> {
    for (const i of ifaces) this.ifaces.set(i.name, i);
    const noRunDir = await this.d.fs.mkdirp(this.d.runDir).then(() => null, (e: unknown) => e);
    const prev = await this.ownership.loadPrevious();
    // No run directory and so no record in it: nothing to hand back (the daemon already warned
    // what running without it costs; takeDown refuses while the record cannot be written).
    if (noRunDir && !prev) return;
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
        await this.adoptParked(name, kept);
        continue;
      }
      this.d.log.info(`mwan3: ${name} was held offline by an earlier wanpulse (pid ${prev!.pid}): handing it back to mwan3`);
      const family = this.ifaces.get(name)?.family ?? 'ipv4';
      await this.serial(name, () => handBack(this, name, entry.device, family, 'previous instance ended', true));
    }
    await this.ownership.save();
  }

  /** A kept interface's tracker that the earlier instance parked (STARTED=0, or STATUS disabled)
   *  is ours now: without this, reconcile would take it for a new tracker and signal it again (a
   *  needless round). One that runs (mwan3 restarted meanwhile) is left to reconcile to park. */
  private async adoptParked(name: string, i: InterfaceConfig): Promise<void> {
    const t = await readTracker(this.d.fs, this.paths.trackDir, name);
    if (t.pid === null || !isParked(t)) return;
    const since = Number((await this.d.fs.readText(`${this.paths.trackDir}/${name}/OFFLINE`))?.trim());
    const offlineS = Number.isInteger(since) && since > 0 ? since : await this.uptime();
    this.held.set(name, { device: i.device, mark: i.mark, family: i.family, pid: t.pid, offlineS, tracker: this.trackerOf(name) });
    this.park.markParked(name, t.pid);
  }

  async takeDown(iface: InterfaceConfig, reason: string): Promise<SwitchResult> {
    const startMs = this.d.clock.nowMs();
    const invalid = this.invalid(iface);
    if (invalid) return { ok: false, applied: false, steps: [], error: invalid };
    return this.serial(iface.name, async () => {
      this.ifaces.set(iface.name, iface);
      try {
        await this.ownership.add(iface.name, { since: this.d.clock.wallMs(), device: iface.device, mark: iface.mark });
      } catch (e) {
        // Without the record a crash could leave the interface forced offline: change nothing.
        return { ok: false, applied: false, steps: [], error: `ownership record: ${(e as Error).message}` };
      }
      const res = await this.applyDown(iface.name, iface.device, iface.mark, iface.family, startMs);
      this.logResult('took', iface.name, 'out of rotation', reason, res);
      // Owned from here on, whatever failed: reconcile retries, and a bring-up must hand it back.
      return { ...res, applied: true };
    });
  }

  async bringUp(iface: InterfaceConfig, reason: string): Promise<SwitchResult> {
    const invalid = this.invalid(iface);
    if (invalid) return { ok: false, applied: false, steps: [], error: invalid };
    return this.serial(iface.name, () => handBack(this, iface.name, iface.device, iface.family, reason, false));
  }

  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { offlineByMwan3: [], repaired: [] };
    for (const name of this.ownership.list()) {
      if ((this.pending.get(name) ?? 0) > 0) continue; // a switchover is running: not our turn
      const retry = this.retry.get(name);
      if (retry && this.d.clock.nowMs() < retry.atMs) continue;
      try {
        const note = await this.serial(name, () => repair(this, name));
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
    // holding nothing, there is nothing to hand back or record (and maybe no run directory)
    if (this.ownership.list().length === 0) return;
    // side by side: with `up 1` on a dead line each hand-back waits up to 400 ms for the tracker's
    // own `connected` (handback.ts), and the daemon gives the whole stop about 1 s
    await Promise.all(this.ownership.list().map((name) => {
      const entry = this.ownership.entry(name)!;
      const family = this.held.get(name)?.family ?? this.ifaces.get(name)?.family ?? 'ipv4';
      return this.serial(name, () => handBack(this, name, entry.device, family, 'wanpulse stopping', true));
    }));
    await this.ownership.save();
  }

  // ---- the sequences ----

  /** STATUS, hotplug, drain, begin the park. Also used by reconcile after an mwan3 restart. */
  async applyDown(name: string, device: string, mark: number, family: Family, startMs: number): Promise<SwitchResult> {
    const steps = new Steps(this.d.clock, startMs);
    // Only what the hotplug event needs stands before it: the files as they were (put back if it
    // fails, and whether the tracker was parked), read at once beside the check of hotplug-call,
    // then the three status files.
    const [before, wasParked, offlineS] = await Promise.all([
      readStateFiles(this.d.fs, this.paths.trackDir, name).catch(() => null),
      readTracker(this.d.fs, this.paths.trackDir, name).then(isParked, () => false),
      this.uptime(),
      prepareHotplug(this.d.spawner, this.paths.hotplugCall),
    ]);
    steps.done('status', await attempt(() => writeStateFiles(this.d.fs, this.paths.trackDir, name, offlineFiles(offlineS))));

    const hotplugError = await hotplug(this.d.spawner, this.paths.hotplugCall, 'disconnected', name, device, () => steps.done('spawned'));
    steps.done('hotplug', hotplugError);
    const prev = this.held.get(name);
    const held: Held = { device, mark, family, pid: prev?.pid ?? null, offlineS, tracker: this.trackerOf(name) };
    this.held.set(name, held);
    if (hotplugError) {
      // Routing did not switch: leave mwan3track running as the detector and put its files back.
      if (before && !this.park.active(name)) await attempt(() => writeStateFiles(this.d.fs, this.paths.trackDir, name, before));
      return steps.result();
    }
    steps.routed();

    if (this.d.drain) {
      const r = await drainByMark(this.d.spawner, this.d.log, mark, this.d.mmxMask, family, this.drainOpts());
      steps.done('drain', r.errors.length ? r.errors.join(', ') : undefined);
    }
    steps.done('park', await this.beginPark(name, held, wasParked));
    return steps.result();
  }

  /** Starts parking the interface's tracker unless this very tracker is parked or parking. */
  async beginPark(name: string, held: Held, wasParked = false): Promise<string | undefined> {
    const found = await findTrackerPid(this.d.spawner, this.d.fs, this.paths, name);
    if (found.pid === null) {
      // No tracker (no track_ip, mwan3 stopped): nothing watches the interface, nothing to park.
      this.d.log.debug(() => `mwan3: no tracker for ${name}${found.error ? ` (${found.error})` : ''}`);
      held.pid = null;
      return undefined;
    }
    const job = this.park.job(name);
    if (job && job.pid === found.pid && (this.park.active(name) || job.phase === 'parked')) return undefined;
    held.pid = found.pid;
    if (wasParked) { this.park.markParked(name, found.pid); return undefined; } // a USR1 now would start a round
    const started = await this.park.begin(name, found.pid, held.tracker, offlineFiles(held.offlineS));
    return started.phase === 'failed' ? `tracker ${found.pid} is not running` : undefined;
  }

  // ---- helpers ----

  /** mwan3track's settings for this interface (mwan3's defaults when the config did not say). */
  trackerOf(name: string): Mwan3TrackerSettings {
    const i = this.ifaces.get(name);
    return i?.mwan3Tracker ?? { ...MWAN3TRACK_DEFAULTS, targets: Math.max(1, i?.trackIps.length ?? 1) };
  }

  resumeDeps() {
    return { fs: this.d.fs, clock: this.d.clock, signals: this.d.signals, paths: this.paths };
  }

  private invalid(iface: InterfaceConfig): string | null {
    if (!isValidName(iface.name)) return `invalid interface name ${JSON.stringify(iface.name)}`;
    if (!isValidName(iface.device)) return `invalid device name ${JSON.stringify(iface.device)} for ${iface.name}`;
    return null;
  }

  drainOpts() {
    return { clock: this.d.clock, conntrack: this.paths.conntrack, ipset: this.paths.ipset };
  }

  async uptime(): Promise<number> {
    try {
      return Math.floor(await this.d.uptimeS());
    } catch {
      return 0;
    }
  }

  private serial<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.pending.set(name, (this.pending.get(name) ?? 0) + 1);
    const run = (this.queues.get(name) ?? Promise.resolve()).then(fn).finally(() => {
      this.pending.set(name, (this.pending.get(name) ?? 1) - 1);
    });
    this.queues.set(name, run.catch(() => undefined));
    return run;
  }

  logResult(verb: string, name: string, what: string, reason: string, res: SwitchResult): void {
    const text = `mwan3: ${verb} ${name} ${what} (${reason}): ${fmtSteps(res.steps)}`;
    if (res.ok) this.d.log.info(text);
    else this.d.log.error(`${text}: ${res.error}`);
  }
}

export function createMwan3Backend(deps: Mwan3BackendDeps): Backend & { owned(): string[] } {
  return new Mwan3Backend(deps);
}
