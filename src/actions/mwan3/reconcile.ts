// What reconcile() does for one interface wanpulse owns (docs/mwan3-backend.md,
// "Reconciliation"): put back what mwan3 or procd undid, without ever fighting a tracker that is
// merely slow. The same pid is the same tracker: while its park is under way nothing is sent, and
// a tracker that did not park in time is asked again with a growing backoff, never every round.
import type { Family, Mwan3TrackerSettings } from '../../config/types.ts';
import type { SwitchResult } from '../backend.ts';
import type { Ownership } from '../ownership.ts';
import { findTrackerPid, offlineFiles, readIfaceState, readTracker, writeStateFiles, type Mwan3Paths } from './files.ts';
import type { Mwan3BackendDeps } from './backend.ts';
import { notOurs, type TrackerPark } from './park.ts';
import { attempt } from './steps.ts';

/** Where an owned interface stands (not persisted: rebuilt from the files after a restart). */
export interface Held {
  device: string;
  mark: number;
  family: Family;
  /** the tracker pid we began to park, null when none was running */
  pid: number | null;
  /** uptime seconds written to OFFLINE */
  offlineS: number;
  tracker: Mwan3TrackerSettings;
}

export interface RetryState { failures: number; atMs: number }

/** What repair() needs of the backend. */
export interface RepairHost {
  readonly d: Mwan3BackendDeps;
  readonly paths: Mwan3Paths;
  readonly ownership: Ownership;
  readonly held: Map<string, Held>;
  readonly retry: Map<string, RetryState>;
  readonly park: TrackerPark;
  applyDown(name: string, device: string, mark: number, family: Family, startMs: number): Promise<SwitchResult>;
  beginPark(name: string, held: Held): Promise<string | undefined>;
  trackerOf(name: string): Mwan3TrackerSettings;
  uptime(): Promise<number>;
}

const RETRY_MAX_MS = 30_000;

/** Returns a note when it repaired something (the daemon logs it; not logged here as well). */
export async function repair(h: RepairHost, name: string): Promise<string | null> {
  const entry = h.ownership.entry(name);
  if (!entry) return null; // handed back while we waited
  const { fs } = h.d;
  let held = h.held.get(name);
  const family = held?.family ?? 'ipv4';
  const state = await readIfaceState(fs, h.paths.mwan3RunDir, name);
  if (state === 'online') {
    // /var/run/mwan3 was rebuilt (mwan3 restart, LuCI Save & Apply, boot) and the interface is
    // back in rotation while it is dead as far as we know: send the whole down sequence again.
    const res = await h.applyDown(name, entry.device, entry.mark, family, h.d.clock.nowMs());
    return note(h, name, res.ok, res.error, 'mwan3 put it back into rotation (restart?): took it out again');
  }
  if (h.park.active(name)) return null; // its park is under way: the same tracker, just slow
  if (!held) {
    held = { device: entry.device, mark: entry.mark, family, pid: null, offlineS: await h.uptime(), tracker: h.trackerOf(name) };
    h.held.set(name, held);
  }
  const t = await readTracker(fs, h.paths.trackDir, name);
  const job = h.park.job(name);
  let why: string | null = null;
  if (t.pid !== null && t.pid !== held.pid) {
    why = `tracker restarted (pid ${t.pid})`;
  } else if (t.pid === null && notOurs(t.status)) {
    // 2.11 (no PID file): a STATUS we did not write means a new or a resumed tracker
    const found = await findTrackerPid(h.d.spawner, fs, h.paths, name);
    if (found.pid !== null && found.pid !== held.pid) why = `tracker restarted (pid ${found.pid})`;
    else if (found.pid !== null) why = job?.phase === 'parked' ? `tracker ${found.pid} was resumed (mwan3 ifup?)` : `tracker ${found.pid} has not parked yet`;
  } else if (t.pid !== null && (t.started === true || notOurs(t.status))) {
    why = job?.phase === 'parked' ? `tracker ${t.pid} was resumed (mwan3 ifup?)` : `tracker ${t.pid} has not parked yet`;
  } else if (t.status === 'disabled') {
    // parked; a late write of its own (disabled) must not stay visible
    await attempt(() => writeStateFiles(fs, h.paths.trackDir, name, offlineFiles(held!.offlineS)));
    return null;
  }
  if (!why) return null;
  const offline = offlineFiles(held.offlineS);
  const statusError = await attempt(() => writeStateFiles(fs, h.paths.trackDir, name, offline));
  if (job && (job.phase === 'parked' || job.phase === 'failed')) h.park.forget(name); // it must be parked afresh
  const parkError = await h.beginPark(name, held);
  const error = [statusError && `status: ${statusError}`, parkError && `park: ${parkError}`].filter(Boolean).join('; ');
  // a tracker that did not park is retried with backoff, so ask it again only after the wait
  const ok = !error && !why.includes('has not parked');
  return note(h, name, ok, error || undefined, `${why}: parking it (no routing change)`);
}

function note(h: RepairHost, name: string, ok: boolean, error: string | undefined, what: string): string {
  const text = `mwan3: ${name}: ${what}${error ? ` (failed: ${error})` : ''}`;
  if (ok) {
    h.retry.delete(name);
  } else {
    // Back off so a broken hotplug-call or a stuck tracker does not turn reconcile into a loop.
    const failures = (h.retry.get(name)?.failures ?? 0) + 1;
    h.retry.set(name, { failures, atMs: h.d.clock.nowMs() + Math.min(RETRY_MAX_MS, 1000 * 2 ** (failures - 1)) });
  }
  return text;
}
