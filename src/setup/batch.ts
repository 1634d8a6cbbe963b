// A RouterPlan as a `uci batch` script that can run any number of times with the same result:
// `set pkg.sec=type` creates or keeps a section, options are set in place, a list is emptied
// with `set …=''` (quiet when it does not exist) and filled again, order is fixed with
// `reorder`, an adjusted list gets `del_list` + `add_list` (never a duplicate item).
// With the router's current config (the main router), options setup no longer writes are
// removed from its own sections, and sections it made earlier that the plan dropped are deleted.
import { findSection, type Packages } from './uci-model.ts';
import { packagesOf, type RouterPlan } from './plan.ts';

const q = (v: string) => `'${v.replace(/'/g, "'\\''")}'`;

export interface RenderOptions {
  /** the router's current config, when known */
  current?: Packages;
  /** `pkg.section` names an earlier run created that the plan no longer has */
  drop?: string[];
  header?: string[];
}

export function renderBatch(plan: RouterPlan, o: RenderOptions = {}): string {
  const out: string[] = (o.header ?? []).map((h) => `# ${h}`);
  for (const s of plan.sections) {
    const at = `${s.pkg}.${s.name}`;
    out.push('', `set ${at}=${s.type}`);
    const want = new Set([...s.options.map(([k]) => k), ...s.lists.map(([k]) => k)]);
    const existing = o.current ? findSection(o.current.get(s.pkg) ?? [], s.name) : undefined;
    for (const k of existing ? existing.options.keys() : []) if (!want.has(k)) out.push(`set ${at}.${k}=''`);
    for (const [k, v] of s.options) out.push(`set ${at}.${k}=${q(v)}`);
    for (const [k, items] of s.lists) {
      out.push(`set ${at}.${k}=''`);
      for (const v of items) out.push(`add_list ${at}.${k}=${q(v)}`);
    }
  }
  for (const s of plan.sections) if (s.position !== undefined) out.push(`reorder ${s.pkg}.${s.name}=${s.position}`);
  for (const a of plan.adjustments) {
    const at = `${a.pkg}.${a.ref}`;
    out.push('', `# ${a.why} (a section setup does not own: only these options and list items)`);
    if (a.ensureType) out.push(`set ${at}=${a.ensureType}`);
    for (const [k, v] of a.options) out.push(`set ${at}.${k}=${q(v)}`);
    for (const [k, v] of a.addToLists) out.push(`del_list ${at}.${k}=${q(v)}`, `add_list ${at}.${k}=${q(v)}`);
  }
  const dropped = o.drop ?? [];
  if (dropped.length) out.push('', '# made by an earlier run, no longer in the description');
  for (const d of dropped) out.push(`delete ${d}`);
  const pkgs = new Set([...packagesOf(plan), ...dropped.map((d) => d.split('.')[0]!)]);
  out.push('');
  for (const p of pkgs) out.push(`commit ${p}`);
  return out.join('\n') + '\n';
}
