// Once a second the backend compares what it set up with what the system shows (mwan3 restarted,
// tracker respawned, route changed by hand) and repairs it; what mwan3's own tracker holds offline
// is passed to the core, which never fights it. One run at a time.
import type { CoreEvent } from '../core/events.ts';
import type { Clock, Log } from '../platform/ports.ts';
import type { DaemonState } from './state.ts';

export function createReconciler(s: DaemonState, log: Log, clock: Clock, emit: (e: CoreEvent) => void): () => Promise<void> {
  let running = false;
  return async () => {
    if (running) return;
    running = true;
    try {
      const rep = await s.backend.reconcile();
      for (const note of rep.repaired) log.warn(note);
      const now = [...rep.offlineByMwan3].sort().join(',');
      const before = [...s.core.offlineByMwan3].sort().join(',');
      if (now !== before) {
        if (rep.offlineByMwan3.length) log.info(`mwan3's tracker holds offline: ${rep.offlineByMwan3.join(', ')}`);
        emit({ kind: 'mwan3Reported', offline: rep.offlineByMwan3, at: clock.nowMs() });
      }
    } catch (e) {
      log.warn(`reconcile failed: ${(e as Error).message}`);
    } finally {
      running = false;
    }
  };
}
