// After a crash or `kill -9`, the ownership record names the uplinks the earlier instance held out
// of rotation. Handing them back at once put a still-dead uplink into the route for ~0.8 s (until
// it was detected again), blackholing its flows. Instead they stay out (the backend keeps them,
// Backend.start's `keep`) and in the core's `forced` set until their first rounds decide:
// online → handed back by the planner as usual; offline → simply stays out. The wait is bounded
// (the rounds a decision takes, plus a margin, never more than unknown_handback_s): a prober that
// never gets going cannot keep an uplink forced out.
import type { Backend } from '../actions/backend.ts';
import { Ownership } from '../actions/ownership.ts';
import type { Config } from '../config/types.ts';
import type { CoreState } from '../core/engine.ts';
import type { CoreAction } from '../core/events.ts';
import type { FileSystem } from '../platform/ports.ts';

const MARGIN_MS = 1000;

/** the record each backend keeps (see the backends' Ownership paths) */
const RECORDS: Record<string, string> = { mwan3: 'owned.json', route: 'route-owned.json' };

export class RestartHold {
  /** name → monotonic deadline */
  private readonly pending = new Map<string, number>();

  private constructor(readonly names: ReadonlySet<string>) {}

  /** The tracked interfaces the earlier instance's record holds, with their deadlines. */
  static async load(fs: FileSystem, runDir: string, config: Config, now: number): Promise<RestartHold> {
    const file = RECORDS[config.global.backend];
    let owned: string[] = [];
    if (file) {
      const prev = await new Ownership(fs, `${runDir}/${file}`, config.global.backend, 0).loadPrevious().catch(() => null);
      owned = Object.keys(prev?.owned ?? {});
    }
    const tracked = config.interfaces.filter((i) => owned.includes(i.name));
    const hold = new RestartHold(new Set(tracked.map((i) => i.name)));
    for (const i of tracked) {
      const h = i.health;
      const decideMs = Math.max(h.down, h.up) * h.intervalMs + h.timeoutMs + MARGIN_MS;
      hold.pending.set(i.name, now + Math.min(decideMs, config.global.unknownHandbackMs));
    }
    return hold;
  }

  /** Starts the backend keeping the recorded uplinks out, and marks them forced in the core. */
  async start(backend: Backend, config: Config, core: CoreState): Promise<void> {
    await backend.start(config.interfaces, this.names);
    for (const name of this.names) core.forced.add(name);
  }

  /** The core's actions without the bring-up of a recorded uplink whose first rounds have not
   *  decided yet (it stays forced; the planner asks again on a later tick). */
  filter(actions: CoreAction[], core: CoreState, now: number): CoreAction[] {
    if (this.pending.size === 0) return actions;
    for (const [name, deadline] of this.pending) {
      if (core.uplinks.get(name)?.state !== 'unknown' || now >= deadline) this.pending.delete(name);
    }
    return actions.filter((a) => {
      if (a.kind !== 'bringUp' || !this.pending.has(a.iface)) return true;
      core.forced.add(a.iface);
      return false;
    });
  }
}
