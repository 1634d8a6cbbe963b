// Which sections setup may write on the main router. A section setup creates is recorded in
// `<output>/main.owned` (one `package.section type` a line) when it is applied. An existing
// section that is neither recorded nor already exactly what setup would write belongs to someone
// else: setup refuses to touch it unless --force, and names it.
import type { OwnedSection, RouterPlan } from './plan.ts';
import { findSection, type Packages, type Sec } from './uci-model.ts';

export function parseRecord(text: string | null): Set<string> {
  const out = new Set<string>();
  for (const line of (text ?? '').split('\n')) {
    const w = line.trim().split(/\s+/)[0];
    if (w && !w.startsWith('#')) out.add(w);
  }
  return out;
}

export function renderRecord(plan: RouterPlan): string {
  return ['# sections made by `wanpulse setup` on this router; it rewrites only these (and adjusts the listed ones)',
    ...plan.sections.map((s) => `${s.pkg}.${s.name} ${s.type}`), ''].join('\n');
}

function sameAs(existing: Sec, want: OwnedSection): boolean {
  if (existing.type !== want.type) return false;
  const wanted = new Map<string, string | string[]>([...want.options, ...want.lists]);
  if (existing.options.size !== wanted.size) return false;
  for (const [k, v] of wanted) {
    const e = existing.options.get(k);
    if (Array.isArray(v) ? !Array.isArray(e) || e.join('\n') !== v.join('\n') : e !== v) return false;
  }
  return true;
}

export interface Ownership {
  /** `pkg.section (type)` of sections that exist, are not setup's, and would be overwritten */
  foreign: string[];
  /** `pkg.section` setup made earlier that the plan no longer has */
  drop: string[];
}

export function checkOwnership(plan: RouterPlan, current: Packages, record: Set<string>): Ownership {
  const foreign: string[] = [];
  for (const s of plan.sections) {
    const e = findSection(current.get(s.pkg) ?? [], s.name);
    if (e && !record.has(`${s.pkg}.${s.name}`) && !sameAs(e, s)) foreign.push(`${s.pkg}.${s.name} (${e.type})`);
  }
  const planned = new Set(plan.sections.map((s) => `${s.pkg}.${s.name}`));
  const drop = [...record].filter((r) => {
    const [pkg, name] = r.split('.');
    return !planned.has(r) && pkg && name && findSection(current.get(pkg) ?? [], name);
  });
  return { foreign, drop };
}
