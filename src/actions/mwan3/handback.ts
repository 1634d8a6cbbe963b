// Handing an interface back to mwan3 (docs/mwan3-backend.md, "Putting an uplink back"): the
// routing change first and at once — a park still under way never delays it — then the tracker
// is resumed (resume.ts) and ownership cleared. With `up 1` the tracker's own `connected` after
// USR2 is the hand-back, so mwan3 rebuilds once.
import type { Family } from '../../config/types.ts';
import type { SwitchResult } from '../backend.ts';
import type { Mwan3Backend } from './backend.ts';
import { drainOthers } from './drain.ts';
import { findTrackerPid, isParked, onlineFiles, readTracker, writeStateFiles } from './files.ts';
import { roundBudgetMs } from './park.ts';
import { guardResumeRound, resumeLedByTracker, trackerLeads } from './resume.ts';
import { attempt, hotplug, prepareHotplug, Steps } from './steps.ts';

/** how long stop() lets a tracker-led resume take before sending `connected` itself: well inside
 *  the daemon's budget for the backend's stop (daemon.ts), so that on a dead line (the tracker's
 *  ping fails, it never says `connected`) our own `connected` still goes out before the exit */
const STOP_RESUME_MS = 400;

/** Hotplug `connected`, optional drain, resume the tracker, clear ownership. `force` (stop,
 *  start): hand back even when the hotplug event failed, because nobody holds it afterwards. */
export async function handBack(h: Mwan3Backend, name: string, device: string, family: Family, reason: string, force: boolean): Promise<SwitchResult> {
  const steps = new Steps(h.d.clock, h.d.clock.nowMs());
  const held = h.held.get(name);
  // hotplug-call is checked beside the tracker lookup, not in front of its start
  const [found] = await Promise.all([findTrackerPid(h.d.spawner, h.d.fs, h.paths, name), prepareHotplug(h.d.spawner, h.paths.hotplugCall)]);
  const pid = found.pid;
  const job = h.park.job(name);
  // Without `held` (hand-back after a crash) the files tell whether the tracker is parked.
  const t = await readTracker(h.d.fs, h.paths.trackDir, name).catch(() => null);
  const parked = held ? job?.pid === pid && job?.phase === 'parked' : t !== null && isParked(t);
  // We resume only a tracker we began to park (or, after a crash, whatever runs now).
  const ours = pid !== null && (held ? held.pid === pid : true);
  const s = held?.tracker ?? h.trackerOf(name);

  let led: 'tracker' | 'resumed' | 'gone' | null = null;
  if (ours && trackerLeads(s, parked)) {
    await attempt(async () => writeStateFiles(h.d.fs, h.paths.trackDir, name, onlineFiles(await h.uptime())));
    h.park.forget(name);
    led = await resumeLedByTracker(h.resumeDeps(), name, pid!, force ? STOP_RESUME_MS : roundBudgetMs(s));
    steps.done('resume');
  }
  const byTracker = led === 'tracker';
  if (byTracker) steps.routed();
  else {
    const hotplugError = await hotplug(h.d.spawner, h.paths.hotplugCall, 'connected', name, device, () => steps.done('spawned'));
    steps.done('hotplug', hotplugError);
    if (hotplugError && !force) {
      const res = steps.result();
      h.logResult('could not put', name, 'back into rotation', reason, res);
      return res; // still owned: a park under way goes on, the caller may retry
    }
    if (!hotplugError) steps.routed();
  }
  steps.applied = true;
  const wasParking = h.park.active(name);
  h.park.forget(name);

  if (h.d.drainOnRecovery) {
    const errors = await drainOthers(h.d.spawner, h.d.log, [...h.ifaces.values()], name, family, h.d.mmxMask,
      (n) => h.ownership.owns(n), h.drainOpts());
    steps.done('drain', errors.length ? errors.join(', ') : undefined);
  }

  if (led === null) {
    // Written before USR2 so no reader sees a stale "offline" once we let go (and when no tracker
    // runs at all). A resumed tracker overwrites STATUS itself.
    const uptimeS = await h.uptime();
    const resumeError = await attempt(() => writeStateFiles(h.d.fs, h.paths.trackDir, name, onlineFiles(uptimeS)));
    if (pid === null) {
      h.d.log.debug(() => `mwan3: no tracker to resume for ${name}${found.error ? ` (${found.error})` : ''}`);
    } else if (!ours) {
      // We never began to park this tracker (the switch failed before, or procd respawned it
      // and reconcile has not parked the new one yet): it is running, leave it alone.
      h.d.log.debug(() => `mwan3: tracker ${pid} of ${name} was not parked by us: not resumed`);
    } else if (!h.d.signals.kill(pid, 'SIGUSR2')) {
      h.d.log.debug(() => `mwan3: tracker ${pid} of ${name} is gone`);
    } else if (wasParking || (held && !parked)) {
      void guardResumeRound(h.resumeDeps(), name, s, uptimeS, () => !h.ownership.owns(name) && !h.park.job(name));
    }
    steps.done('resume', resumeError);
  }

  h.held.delete(name);
  h.retry.delete(name);
  try {
    await h.ownership.remove(name);
  } catch (e) {
    steps.done('release', `ownership record: ${(e as Error).message}`);
  }
  const res = steps.result();
  h.logResult('handed', name, `back to mwan3${byTracker ? ' (mwan3track sent connected)' : ''}`, reason, res);
  return res;
}
