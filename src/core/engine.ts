// The core: step(state, event, config) → actions. Health per interface (uplink.ts), then the
// planner (planner.ts) turns states into take-down / bring-up actions.
// The state is owned by the caller and updated in place (the probe path runs five times a second
// per target on slow routers: no copying); the same events always give the same actions.
import type { Config, Family, InterfaceConfig } from '../config/types.ts';
import type { CoreAction, CoreEvent } from './events.ts';
import { plan } from './planner.ts';
import { Uplink, type Transition } from './uplink.ts';

export interface CoreState {
  uplinks: Map<string, Uplink>;
  families: Map<string, Family>;
  /** interfaces wanpulse has asked the backend to hold out of rotation */
  forced: Set<string>;
  /** dead interfaces deliberately left to mwan3, with the reason */
  held: Map<string, string>;
  offlineByMwan3: Set<string>;
}

function sameHealth(a: InterfaceConfig, u: Uplink): boolean {
  return JSON.stringify(a.trackIps) === JSON.stringify(u.targets) && a.health.windowRounds === u.params.windowRounds;
}

/** A new state for `config`, keeping the health history of interfaces whose targets did not
 *  change (SIGHUP reload) and what wanpulse holds. */
export function createCoreState(config: Config, at: number, previous?: CoreState): CoreState {
  const uplinks = new Map<string, Uplink>();
  const families = new Map<string, Family>();
  for (const i of config.interfaces) {
    const old = previous?.uplinks.get(i.name);
    if (old && sameHealth(i, old)) {
      old.params = i.health;
      old.ownReplies();
      uplinks.set(i.name, old);
    } else {
      uplinks.set(i.name, new Uplink(i.name, i.trackIps, i.health, at));
    }
    families.set(i.name, i.family);
  }
  for (const u of config.untracked ?? []) families.set(u.name, u.family);
  const forced = new Set<string>();
  for (const i of previous?.forced ?? []) if (uplinks.has(i)) forced.add(i);
  return {
    uplinks,
    families,
    forced,
    held: new Map(),
    offlineByMwan3: new Set(previous?.offlineByMwan3 ?? []),
  };
}

export function step(state: CoreState, event: CoreEvent, config: Config): CoreAction[] {
  const actions: CoreAction[] = [];
  const announce = (iface: string, t: Transition | null) => {
    if (t) actions.push({ kind: 'announce', iface, from: t.from, to: t.to, reason: t.reason, detectMs: t.detectMs, at: event.at });
  };
  switch (event.kind) {
    case 'probeResult': {
      const u = state.uplinks.get(event.iface);
      if (!u) return actions;
      const before = u.state;
      for (const t of u.result(event.target, event.seq, event.rttMs, event.sentAt, event.at)) announce(event.iface, t);
      if (u.state === before && actions.length === 0) return actions; // the common case: nothing to plan
      break;
    }
    case 'proberStarted':
      state.uplinks.get(event.iface)?.proberStarted(event.at);
      return actions;
    case 'proberDied': {
      const u = state.uplinks.get(event.iface);
      if (!u) return actions;
      announce(event.iface, u.proberDied(event.reason, event.at));
      break;
    }
    case 'counterSample':
    {
      const u = state.uplinks.get(event.iface);
      if (!u) return actions;
      u.evidence.sample(event.rxPackets, event.txPackets, event.at);
      const t = u.sampled(event.at);
      if (u.confirmRequest !== null) {
        actions.push({ kind: 'confirm', iface: event.iface, waitMs: u.confirmRequest, at: event.at });
        u.confirmRequest = null;
      }
      if (u.rateChanged) {
        actions.push({ kind: 'probeRate', iface: event.iface, rate: u.rate, at: event.at });
        u.rateChanged = false;
      }
      if (!t) return actions;
      announce(event.iface, t);
      break;
    }
    case 'wake': {
      const t = state.uplinks.get(event.iface)?.woken(event.at);
      if (!t) return actions;
      announce(event.iface, t);
      break;
    }
    case 'confirmed': {
      const u = state.uplinks.get(event.iface);
      const t = u?.confirmed(event.answered, event.at);
      if (!t) return actions;
      announce(event.iface, t);
      break;
    }
    case 'lateReply':
      state.uplinks.get(event.iface)?.lateReply(event.target, event.seq, event.at);
      return actions;
    case 'ticked':
      break;
    case 'switchFinished':
      // A failed switch changes nothing here: the backend recorded ownership before acting and
      // retries in its reconcile loop, and keeping the interface in `forced` guarantees the
      // bring-up (hand-back) still happens when it recovers or wanpulse stops.
      return actions;
    case 'mwan3Reported':
      state.offlineByMwan3 = new Set(event.offline);
      break;
  }
  replan(state, config, event.at, actions);
  return actions;
}

function replan(state: CoreState, config: Config, at: number, actions: CoreAction[]): void {
  const uplinks = new Map<string, { state: Uplink['state']; family: Family; brokenSince: number | null; degradedFailover: boolean }>();
  for (const [name, u] of state.uplinks) {
    uplinks.set(name, { state: u.state, family: state.families.get(name) ?? 'ipv4', brokenSince: u.brokenSince, degradedFailover: u.params.degradedFailover });
  }
  const policies = config.policies.filter((p) => p.used !== false);
  const result = plan({
    uplinks, families: state.families, policies, forced: state.forced,
    offlineByMwan3: state.offlineByMwan3, unknownHandbackMs: config.global.unknownHandbackMs, at,
  });
  for (const [iface, reason] of result.held) {
    if (state.held.get(iface) !== reason) actions.push({ kind: 'holdBack', iface, reason, at });
  }
  state.held = result.held;
  for (const iface of result.desired) {
    if (state.forced.has(iface)) continue;
    state.forced.add(iface);
    actions.push({ kind: 'takeDown', iface, reason: state.uplinks.get(iface)?.reason ?? 'offline', at });
  }
  for (const iface of [...state.forced]) {
    if (result.desired.has(iface)) continue;
    state.forced.delete(iface);
    const u = state.uplinks.get(iface);
    let reason: string;
    if (!u) reason = 'no longer tracked';
    else if (state.offlineByMwan3.has(iface)) reason = "mwan3's tracker holds it offline itself";
    else if (result.held.has(iface)) reason = result.held.get(iface)!;
    else if (u.state === 'unknown') reason = `prober broken for ${Math.round((at - (u.brokenSince ?? at)) / 1000)} s: handed back to mwan3's tracker`;
    else reason = `${u.state}: ${u.reason}`;
    actions.push({ kind: 'bringUp', iface, reason, at });
  }
}
