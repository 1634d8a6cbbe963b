// Resuming mwan3track on hand-back (docs/mwan3-backend.md, "Resuming the tracker"). After USR2 a
// parked tracker runs one round from score 0 before it resets itself (FIRSTCONNECT, ignored by
// mwan3): a good round sends `connecting`, and with `up 1` also a plain `connected` — a routing
// rebuild of its own. So:
// - `up` > 1 (or the park had not finished): wanpulse sends `connected` itself, then USR2;
// - `up` 1 and parked: USR2 first, and the tracker's own `connected` is the hand-back. wanpulse
//   watches that round and sends `connected` itself only when the round did not (its SCORE at the
//   round's end is 0) or did not end within its budget.
// - USR2 reaching a tracker that had not parked yet (still in its round) cancels the pending park;
//   until that round ends, a `disconnecting` it writes is overwritten, so the round cannot end in
//   a `disconnected` of its own right after the hand-back.
import type { Mwan3TrackerSettings } from '../../config/types.ts';
import type { Clock, FileSystem, Signals } from '../../platform/ports.ts';
import { offlineFiles, readRound, readTracker, writeStateFiles, type Mwan3Paths } from './files.ts';
import { roundBudgetMs } from './park.ts';

const POLL_MS = 10;

export interface ResumeDeps {
  fs: FileSystem;
  clock: Clock;
  signals: Signals;
  paths: Mwan3Paths;
}

const sleep = (clock: Clock, ms: number) => new Promise<void>((resolve) => { clock.setTimer(ms, resolve); });

/** May the tracker's own resume round be the hand-back? */
export function trackerLeads(s: Mwan3TrackerSettings, parked: boolean): boolean {
  return parked && s.up === 1 && s.initialState === 'online';
}

/** USR2, then watch the resume round (bounded by `maxMs`): 'tracker' when the tracker sends a
 *  plain `connected` itself; 'resumed' when wanpulse must (round failed or no end seen); 'gone'
 *  when there was no tracker to signal. */
export async function resumeLedByTracker(d: ResumeDeps, name: string, pid: number, maxMs: number): Promise<'tracker' | 'resumed' | 'gone'> {
  const turn0 = (await readRound(d.fs, d.paths.trackDir, name)).turn;
  if (!d.signals.kill(pid, 'SIGUSR2')) return 'gone';
  const deadline = d.clock.nowMs() + maxMs;
  for (let i = 0; i < Math.ceil(maxMs / POLL_MS) + 2; i++) {
    await sleep(d.clock, POLL_MS);
    // `connecting` with up 1 is always followed by its `connected` (score 1 = up)
    if ((await readTracker(d.fs, d.paths.trackDir, name)).status === 'connecting') return 'tracker';
    const round = await readRound(d.fs, d.paths.trackDir, name);
    // a round ended (SCORE is written before TURN; a file read mid-write is read again)
    if (round.turn !== null && round.turn !== turn0 && round.score !== null) return round.score > 0 ? 'tracker' : 'resumed';
    if (d.clock.nowMs() >= deadline) break;
  }
  return 'resumed';
}

/** After USR2 reached a tracker still in its round: keep it from ending that round with a
 *  `disconnected` of its own. Runs beside the hand-back, bounded by the round's budget. */
export async function guardResumeRound(d: ResumeDeps, name: string, s: Mwan3TrackerSettings, uptimeS: number, stillOurs: () => boolean): Promise<void> {
  const turn0 = (await readRound(d.fs, d.paths.trackDir, name)).turn;
  const deadline = d.clock.nowMs() + roundBudgetMs(s);
  for (let i = 0; i < Math.ceil(roundBudgetMs(s) / POLL_MS) + 2 && stillOurs(); i++) {
    await sleep(d.clock, POLL_MS);
    const turn = (await readRound(d.fs, d.paths.trackDir, name)).turn;
    if (turn !== null && turn !== turn0) return;
    // offline makes its `disconnected` skip; its FIRSTCONNECT at the round's end writes online
    if ((await readTracker(d.fs, d.paths.trackDir, name)).status === 'disconnecting') {
      await writeStateFiles(d.fs, d.paths.trackDir, name, offlineFiles(uptimeS));
    }
    if (d.clock.nowMs() >= deadline) return;
  }
}
