// Parking mwan3track while wanpulse holds an interface (docs/mwan3-backend.md, "Parking the
// tracker"). The real tracker only reads its signals between commands: USR1 sets a flag and kills
// the running ping or sleep, the round then goes on (each remaining target up to `timeout` s on a
// dead line, its own score, possibly its own `disconnecting`/`disconnected`), and the flag takes
// effect at the end of the round: `disconnected` — skipped only when the STATUS *file* says neither
// online nor disconnecting — then `disabled`. So:
// - USR1 is sent while the tracker sleeps between rounds (its child is `sleep`): it then reads our
//   STATUS=offline at once and parks without an event. While it is in a round, wanpulse waits for
//   the round to end (TURN changes) and signals it in the sleep that follows;
// - meanwhile every STATUS the tracker writes (disconnecting, online, connecting) is overwritten
//   with offline again, so its own `disconnected` reads offline and is skipped;
// - all of this runs beside the switch, never in front of it: the routing change already happened,
//   and a hand-back cancels the watch at once. A job is bound to one tracker pid: the same pid is
//   the same tracker, however slowly it parks.
import type { Mwan3TrackerSettings } from '../../config/types.ts';
import type { Clock, FileSystem, Log, Signals } from '../../platform/ports.ts';
import { readRound, readTracker, trackerChild, writeStateFiles, type Mwan3Paths, type StateFiles } from './files.ts';

export type ParkPhase = 'waiting' | 'signalled' | 'parked' | 'failed';

export interface ParkJob {
  pid: number;
  phase: ParkPhase;
  cancelled: boolean;
  /** settles when the watch ends (parked, failed, cancelled) */
  done: Promise<void>;
}

export interface ParkDeps {
  fs: FileSystem;
  clock: Clock;
  signals: Signals;
  log: Log;
  paths: Mwan3Paths;
}

const POLL_MS = 10;
/** time the tracker's own transitions may take (logger, its hotplug-call under mwan3's lock) */
const TRANSITIONS_MS = 5000;
/** after a round ended, how long to look for the `sleep` child before signalling anyway */
const SLEEP_LOOK_MS = 300;

/** Longest round of the tracker on a dead line: every target once, each `count` pings
 *  (1 s apart) plus `timeout`, and its transitions. */
export function roundBudgetMs(s: Mwan3TrackerSettings): number {
  return Math.max(1, s.targets) * ((s.count - 1) * 1000 + s.timeoutS * 1000) + TRANSITIONS_MS;
}

/** Longest sleep between two rounds. */
export function sleepBudgetMs(s: Mwan3TrackerSettings): number {
  return Math.max(s.intervalS, s.failureIntervalS, s.recoveryIntervalS) * 1000;
}

/** STATUS values after which the tracker's next `disconnected` would fire its own event. */
export const notOurs = (status: string | null): boolean => status !== 'offline' && status !== 'disabled';

export class TrackerPark {
  private readonly jobs = new Map<string, ParkJob>();

  constructor(private readonly d: ParkDeps) {}

  job(name: string): ParkJob | undefined {
    return this.jobs.get(name);
  }

  /** a watch runs for this interface (the tracker has not parked yet) */
  active(name: string): boolean {
    const j = this.jobs.get(name);
    return j !== undefined && (j.phase === 'waiting' || j.phase === 'signalled');
  }

  /** The tracker is parked already (by us, or STARTED=0 / STATUS=disabled before we began). */
  markParked(name: string, pid: number): void {
    this.jobs.set(name, { pid, phase: 'parked', cancelled: false, done: Promise.resolve() });
  }

  /** Begins parking tracker `pid`; returns once the first move is made (USR1 sent, or waiting
   *  for the round to end). `offline` are the files wanpulse keeps asserting. */
  async begin(name: string, pid: number, s: Mwan3TrackerSettings, offline: StateFiles): Promise<ParkJob> {
    this.cancel(name);
    const job: ParkJob = { pid, phase: 'waiting', cancelled: false, done: Promise.resolve() };
    this.jobs.set(name, job);
    const turn0 = (await readRound(this.d.fs, this.d.paths.trackDir, name).catch(() => ({ turn: null }))).turn;
    if ((await trackerChild(this.d.fs, this.d.paths.procDir, pid)) === 'sleep') this.signal(name, job, s);
    job.done = this.watch(name, job, s, offline, turn0).catch((e: Error) => {
      job.phase = 'failed';
      this.d.log.warn(`mwan3: parking the tracker of ${name}: ${e.message}`);
    });
    return job;
  }

  /** Stops the watch (hand-back); returns the job as it stood. */
  cancel(name: string): ParkJob | undefined {
    const j = this.jobs.get(name);
    if (j) j.cancelled = true;
    return j;
  }

  forget(name: string): void {
    this.cancel(name);
    this.jobs.delete(name);
  }

  private signal(name: string, job: ParkJob, s: Mwan3TrackerSettings): void {
    job.phase = 'signalled';
    if (!this.d.signals.kill(job.pid, 'SIGUSR1')) {
      job.phase = 'failed';
      this.d.log.debug(() => `mwan3: tracker ${job.pid} of ${name} is not running`);
      return;
    }
    this.d.log.debug(() => `mwan3: USR1 to tracker ${job.pid} of ${name}; it parks within ${roundBudgetMs(s)} ms`);
  }

  private async watch(name: string, job: ParkJob, s: Mwan3TrackerSettings, offline: StateFiles, turn0: string | null): Promise<void> {
    const { fs, clock, paths } = this.d;
    const total = sleepBudgetMs(s) + 2 * roundBudgetMs(s) + SLEEP_LOOK_MS;
    let deadline = clock.nowMs() + (job.phase === 'waiting' ? sleepBudgetMs(s) + roundBudgetMs(s) : roundBudgetMs(s));
    let endedAt: number | null = null;
    for (let i = 0; i < Math.ceil(total / POLL_MS) + 10; i++) {
      await this.sleep(POLL_MS);
      if (job.cancelled) return;
      const t = await readTracker(fs, paths.trackDir, name);
      if (t.pid !== null && t.pid !== job.pid) { job.phase = 'failed'; return; } // replaced: reconcile parks the new one
      if (job.phase === 'signalled' && t.status === 'disabled' && t.started !== true) {
        await writeStateFiles(fs, paths.trackDir, name, offline);
        if (job.cancelled) return; // handed back while writing: the hand-back's files win
        job.phase = 'parked';
        this.d.log.debug(() => `mwan3: tracker ${job.pid} of ${name} parked`);
        return;
      }
      if (notOurs(t.status)) await writeStateFiles(fs, paths.trackDir, name, offline);
      const now = clock.nowMs();
      if (job.phase === 'waiting') {
        const turn = endedAt === null ? (await readRound(fs, paths.trackDir, name)).turn : null;
        if (turn !== null && turn !== turn0) endedAt = now;
        // In its sleep the tracker is between rounds, whether or not we saw the round end: begin()
        // may have read TURN after the round's last write but before the sleep began (slow under
        // load), and waiting for the next TURN would then cost a whole sleep and round.
        const look = endedAt !== null || i % 5 === 0;
        const asleep = look && (await trackerChild(fs, paths.procDir, job.pid)) === 'sleep';
        if (asleep || (endedAt !== null && now - endedAt >= SLEEP_LOOK_MS) || now >= deadline) {
          if (notOurs((await readTracker(fs, paths.trackDir, name)).status)) await writeStateFiles(fs, paths.trackDir, name, offline);
          if (job.cancelled) return;
          this.signal(name, job, s);
          if ((job.phase as ParkPhase) === 'failed') return;
          deadline = clock.nowMs() + roundBudgetMs(s);
        }
      } else if (now >= deadline) {
        job.phase = 'failed';
        this.d.log.warn(`mwan3: tracker ${job.pid} of ${name} has not parked ${Math.round(roundBudgetMs(s) / 1000)} s after USR1; wanpulse keeps holding ${name} and looks again`);
        return;
      }
    }
    job.phase = 'failed';
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => { this.d.clock.setTimer(ms, resolve); });
  }
}
