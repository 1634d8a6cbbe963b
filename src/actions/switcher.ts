// Per-interface serialization of switchovers (architecture invariant: one switchover per
// interface at a time; results are events). Different interfaces switch in parallel.
//
// While a switchover runs, newer requests for the same interface collapse into one pending
// request: only the latest runs afterwards, because only the newest decision matters and a
// flapping uplink must not queue a backlog of hotplug calls. A request for the state the
// interface is already heading to is skipped. Skipped and superseded requests report nothing.
import type { InterfaceConfig } from '../config/types.ts';
import type { Clock, Log } from '../platform/ports.ts';
import type { Backend, SwitchResult } from './backend.ts';

export type SwitchDirection = 'down' | 'up';

export interface SwitchOutcome {
  iface: string;
  direction: SwitchDirection;
  reason: string;
  /** timestamp of the decision, as given with the request */
  decidedAt: number;
  result: SwitchResult;
}

export interface Switcher {
  request(iface: InterfaceConfig, direction: SwitchDirection, reason: string, decidedAt: number): void;
  /** resolves once no switchover is running or pending (used on shutdown) */
  idle(): Promise<void>;
}

interface Request {
  iface: InterfaceConfig;
  direction: SwitchDirection;
  reason: string;
  decidedAt: number;
}

interface Lane {
  /** the state the last switchover actually left — also one whose later steps failed after the
   *  routing change itself happened (an uplink starts in rotation unless started held out) */
  applied: SwitchDirection;
  running: Request | null;
  pending: Request | null;
  /** a pump loop owns this lane (also between two requests, while onResult runs) */
  busy: boolean;
}

export function createSwitcher(
  backend: Backend,
  clock: Clock,
  log: Log,
  onResult: (r: SwitchOutcome) => void,
  /** uplinks the backend started held out of rotation (a restart after a crash keeps what the
   *  earlier instance held: daemon/restart-hold.ts); their lanes start `down`, so that the first
   *  bring-up is carried out instead of being skipped as already done */
  initiallyDown: ReadonlySet<string> = new Set(),
): Switcher {
  const lanes = new Map<string, Lane>();
  let active = 0;
  let waiters: (() => void)[] = [];

  function lane(name: string): Lane {
    let l = lanes.get(name);
    if (!l) { l = { applied: initiallyDown.has(name) ? 'down' : 'up', running: null, pending: null, busy: false }; lanes.set(name, l); }
    return l;
  }

  async function execute(req: Request): Promise<SwitchResult> {
    const started = clock.nowMs();
    let result: SwitchResult;
    try {
      result = req.direction === 'down'
        ? await backend.takeDown(req.iface, req.reason)
        : await backend.bringUp(req.iface, req.reason);
    } catch (e) {
      result = { ok: false, steps: [], error: e instanceof Error ? e.message : String(e) };
    }
    // backends time their steps from the call; the record counts from the decision
    const wait = started - req.decidedAt;
    if (wait > 0) result = { ...result, steps: result.steps.map((st) => ({ step: st.step, ms: st.ms + wait })) };
    log.debug(() => `switch ${req.iface.name} ${req.direction}: ${result.ok ? 'ok' : `failed (${result.error ?? 'no reason given'})`} in ${Math.round(clock.nowMs() - started)} ms`);
    return result;
  }

  async function pump(name: string, l: Lane): Promise<void> {
    l.busy = true;
    active++;
    try {
      while (l.pending) {
        const req = l.pending;
        l.pending = null;
        // a collapsed request may have become a no-op while the previous one ran
        if (req.direction === l.applied) continue;
        l.running = req;
        const result = await execute(req);
        if (result.applied ?? result.ok) l.applied = req.direction;
        l.running = null;
        try {
          onResult({ iface: name, direction: req.direction, reason: req.reason, decidedAt: req.decidedAt, result });
        } catch (e) {
          log.error(`switch ${name}: result handler failed: ${(e as Error).message}`);
        }
      }
    } finally {
      l.running = null;
      l.busy = false;
      active--;
      if (active === 0) {
        const done = waiters;
        waiters = [];
        for (const w of done) w();
      }
    }
  }

  return {
    request(iface, direction, reason, decidedAt) {
      const l = lane(iface.name);
      const heading = l.pending?.direction ?? l.running?.direction ?? l.applied;
      if (direction === heading) {
        log.debug(() => `switch ${iface.name} ${direction}: already heading there, skipped (${reason})`);
        return;
      }
      if (l.running && direction === l.running.direction) {
        // back to what is running: the pending opposite is void
        l.pending = null;
        return;
      }
      l.pending = { iface, direction, reason, decidedAt };
      if (!l.busy) void pump(iface.name, l);
    },

    idle() {
      if (active === 0) return Promise.resolve();
      return new Promise((resolve) => { waiters.push(resolve); });
    },
  };
}
