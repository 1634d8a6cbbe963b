// One measured failover: inject a fault on an uplink, observe wanpulse's decision, the route, the
// traffic, restore, observe the recovery. Shared by the story and the bench.
import { cut, killPeer, ispDown, oneway, restore, type ActiveFault } from './faults.ts';
import type { Session } from './session.ts';
import type { Uplink } from './topology.ts';
import type { TrafficClient } from './traffic.ts';
import { sleep } from './sh.ts';

export { type Range } from './floors.ts';

export type FaultName = 'cut' | 'peer-killed' | 'isp-down' | 'oneway-up' | 'oneway-down';

export interface FailoverResult {
  fault: FaultName;
  uplink: string;
  /** fault → wanpulse's offline decision (its event `at`) */
  detectMs: number | null;
  /** fault → the default route in main no longer holds the uplink */
  switchMs: number | null;
  /** the offline decision → routing changed, as wanpulse reported it (its switch record's routeMs) */
  routeMs: number | null;
  /** longest silence of the 10 ms UDP stream around the fault (null: stream was not on the uplink) */
  outageMs: number | null;
  /** wanpulse's offline decision (the event's `at`) → its `<base>/event` message reaching a
   *  subscriber in the lab (both wall-clock times on this machine) */
  mqttMs: number | null;
  /** the same decision → the retained `<base>/uplink/<iface>` state `offline` reaching the subscriber */
  mqttStateMs: number | null;
  /** fault → the long-lived TCP flow gets replies through the other uplink */
  tcpMovedMs: number | null;
  /** restore → wanpulse's online decision */
  recoveryMs: number | null;
  /** restore → the uplink is back in the default route */
  backInRouteMs: number | null;
  injectedAt: number;
  /** how long the command that made the fault took (issued → returned): the fault took effect
   *  somewhere in it, so every figure from the fault is uncertain by this much */
  injectLagMs: number | null;
  restoredAt: number;
}

async function inject(s: Session, up: Uplink, fault: FaultName): Promise<ActiveFault> {
  if (fault === 'peer-killed') return killPeer(s.lab, up);
  if (fault === 'isp-down') return ispDown(up);
  if (fault === 'oneway-up') return oneway(up, 'up');
  if (fault === 'oneway-down') return oneway(up, 'down');
  return cut(up);
}

/** Polls fn every 20 ms until it gives a value (null after timeoutMs). */
export async function until<T>(fn: () => T | undefined | null, timeoutMs: number): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    const v = fn();
    if (v !== undefined && v !== null) return v;
    await sleep(20);
  }
  return null;
}

/** How long after the offline decision its MQTT event and retained state reached the lab's
 *  subscriber. The event is the one whose `at` is the decision the status file showed (else the
 *  first offline event of the uplink after the fault). Arrival times were stamped as the lines
 *  came in, so looking late does not change them; the wait only covers a slow broker. */
async function mqttArrival(s: Session, iface: string, decidedAt: number | null, t0: number): Promise<{ eventMs: number | null; stateMs: number | null }> {
  const ev = await until(() => {
    const all = s.mqtt.eventArrivals().filter((a) => a.event.iface === iface && a.event.to === 'offline' && a.event.at >= t0 - 50);
    return (decidedAt === null ? undefined : all.find((a) => Math.abs(a.event.at - decidedAt) <= 5)) ?? all[0];
  }, 2000);
  const st = await until(() => s.mqtt.stateArrivals().find((a) => a.iface === iface && a.state === 'offline' && a.since >= t0 - 50), 2000);
  return { eventMs: ev ? ev.receivedAt - ev.event.at : null, stateMs: st ? st.receivedAt - st.since : null };
}

export interface FailoverOptions {
  fault?: FaultName;
  /** how long the fault stays after the failover was observed */
  holdMs?: number;
  /** called between the steps (for narration) */
  onStep?: (step: 'injected' | 'restoring' | 'restored', at: number, what: string) => void;
  timeoutMs?: number;
}

/** Injects the fault and measures; `client` null: the uplink carries no user traffic. */
export async function failover(s: Session, client: TrafficClient | null, up: Uplink, o: FailoverOptions = {}): Promise<FailoverResult> {
  const fault = o.fault ?? 'cut';
  const timeoutMs = o.timeoutMs ?? 15_000;
  const streamWasOn = client?.current.get('stream');
  const longWasOn = client?.current.get('long');
  const f = await inject(s, up, fault);
  const t0 = f.at;
  o.onStep?.('injected', t0, f.describe);
  s.status.poll();
  const down = await until(() => { s.status.poll(); return s.status.find(up.name, 'offline', t0 - 50); }, timeoutMs);
  const routed = await until(() => s.route.find(t0, (u) => !u.includes(up.name) && u.length > 0), timeoutMs);
  const streamMoved = client && streamWasOn === up.name ? await client.waitFor((e) => e.ev === 'via' && e.flow === 'stream' && e.uplink !== up.name, timeoutMs, t0) : null;
  const longMoved = client && longWasOn === up.name ? await client.waitFor((e) => e.ev === 'via' && e.flow === 'long' && e.uplink !== up.name, timeoutMs, t0) : null;
  await sleep(o.holdMs ?? 1000);
  // the record appears once the whole switchover (drain included) is done
  const switched = await until(() => { s.status.poll(); return s.status.findSwitch(up.name, 'down', t0 - 50); }, 3000);
  const mqtt = await mqttArrival(s, up.name, down?.at ?? null, t0);
  o.onStep?.('restoring', Date.now(), '');
  const restoredAt = await restore(s.lab, f);
  o.onStep?.('restored', restoredAt, `${up.name} restored`);
  const online = await until(() => { s.status.poll(); return s.status.find(up.name, 'online', restoredAt); }, timeoutMs);
  const back = await until(() => s.route.find(restoredAt, (u) => u.includes(up.name)), timeoutMs);
  return {
    fault, uplink: up.name, injectedAt: t0, injectLagMs: f.issuedAt === undefined ? null : t0 - f.issuedAt, restoredAt,
    detectMs: down ? down.at - t0 : null,
    switchMs: routed ? routed.at - t0 : null,
    routeMs: switched?.routeMs ?? null,
    outageMs: client && streamWasOn === up.name && streamMoved && streamMoved.ev === 'via' ? client.longestGap('stream', t0, streamMoved.at) : null,
    mqttMs: mqtt.eventMs,
    mqttStateMs: mqtt.stateMs,
    tcpMovedMs: longMoved && longMoved.ev === 'via' ? longMoved.at - t0 : null,
    recoveryMs: online ? online.at - restoredAt : null,
    backInRouteMs: back ? back.at - restoredAt : null,
  };
}
