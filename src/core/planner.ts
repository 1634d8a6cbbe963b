// The planner: which interfaces wanpulse should hold out of rotation right now, as data.
//
// Invariant (architecture.md): wanpulse never forces the last usable member of a policy offline.
// If every member of a policy (of the interface's family) looks dead at once, the fault is more
// likely ours or the targets' than every ISP's: those interfaces are left to mwan3's own tracker.
//
// Invariant: an interface whose prober is broken (state unknown) is held at most
// `unknownHandbackMs`, then handed back, so a crashing fping never keeps an uplink offline.
import type { Family, PolicyConfig } from '../config/types.ts';
import type { UplinkStateName } from './events.ts';

export interface PlanInput {
  /** tracked interfaces: state, family and how long the prober has been broken */
  uplinks: Map<string, { state: UplinkStateName; family: Family; brokenSince: number | null; degradedFailover: boolean }>;
  /** every interface's family, tracked or not (policy members may be untracked) */
  families: Map<string, Family>;
  policies: PolicyConfig[];
  /** interfaces wanpulse holds out of rotation now (requested from the backend) */
  forced: Set<string>;
  /** interfaces mwan3's own tracker holds offline */
  offlineByMwan3: Set<string>;
  unknownHandbackMs: number;
  at: number;
}

export interface Plan {
  /** the set wanpulse should hold out of rotation */
  desired: Set<string>;
  /** dead interfaces left to mwan3, with the reason */
  held: Map<string, string>;
}

function wantsOut(input: PlanInput, iface: string): boolean {
  const u = input.uplinks.get(iface);
  if (!u) return false;
  if (u.state === 'offline') return true;
  if (u.state === 'degraded') return u.degradedFailover;
  if (u.state === 'unknown') {
    // keep what we hold while the prober restarts, but not forever
    return input.forced.has(iface) && u.brokenSince !== null && input.at - u.brokenSince < input.unknownHandbackMs;
  }
  return false;
}

export function plan(input: PlanInput): Plan {
  const candidates = new Set<string>();
  for (const iface of input.uplinks.keys()) {
    if (wantsOut(input, iface) && !input.offlineByMwan3.has(iface)) candidates.add(iface);
  }
  const held = new Map<string, string>();
  for (const policy of input.policies) {
    // per family: an IPv6 member carries none of a policy's IPv4 traffic
    const byFamily = new Map<Family, string[]>();
    for (const m of policy.members) {
      const fam = input.families.get(m.iface);
      if (!fam) continue; // member of a disabled / unknown interface: never usable
      const list = byFamily.get(fam) ?? [];
      if (!list.includes(m.iface)) list.push(m.iface);
      byFamily.set(fam, list);
    }
    for (const members of byFamily.values()) {
      const dead = members.filter((i) => candidates.has(i));
      if (dead.length === 0) continue;
      const usable = members.filter((i) => !candidates.has(i) && !input.offlineByMwan3.has(i));
      if (usable.length > 0) continue;
      const reason = members.length === 1
        ? `only member of policy ${policy.name}: left to mwan3's tracker`
        : `all members of policy ${policy.name} look dead: left to mwan3's tracker`;
      for (const i of dead) if (!held.has(i)) held.set(i, reason);
    }
  }
  const desired = new Set<string>();
  for (const i of candidates) if (!held.has(i)) desired.add(i);
  return { desired, held };
}
