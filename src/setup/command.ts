// `wanpulse setup [DESCRIPTION] [--out DIR] [--apply] [--force] [--config-dir DIR]`: reads the
// description, writes one `uci batch` script per router and a summary into the output directory
// (dry run), and with --apply runs the main router's script here and reloads what it changed.
// Bundled apart from the daemon (dist/wanpulse-setup.js) and loaded only for this command.
// Only the platform ports are used, so it runs under txiki.js on the router and under Node.
import { formatProblems } from '../config/load.ts';
import type { Platform } from '../platform/ports.ts';
import { renderBatch } from './batch.ts';
import { describe } from './describe.ts';
import { findProgram, resolveKeys, type EarlierKeys } from './keys.ts';
import { checkOwnership, parseRecord, renderRecord } from './ownership.ts';
import { mainPlan, packagesOf, uplinkPlan, type RouterPlan } from './plan.ts';
import { renderSummary } from './summary.ts';
import { applyBatch, clonePackages, findSection, parsePackage, serialize, type Packages } from './uci-model.ts';

export const SETUP_USAGE = `usage: wanpulse setup [DESCRIPTION] [options]
  DESCRIPTION        the network description (default /etc/wanpulse/setup.conf; see docs/setup.md)
  --out DIR          where the scripts and the summary go (default /etc/wanpulse/setup)
  --apply            apply the main router's script here (uci batch), then reload what changed
  --force            overwrite sections of the same name that setup did not make
  --config-dir DIR   the main router's UCI files (default /etc/config)
`;

interface SetupArgs { description: string; out: string; apply: boolean; force: boolean; configDir: string; help: boolean }

export function parseSetupArgs(args: string[]): SetupArgs | string {
  const a: SetupArgs = { description: '/etc/wanpulse/setup.conf', out: '/etc/wanpulse/setup', apply: false, force: false, configDir: '/etc/config', help: false };
  let positional = 0;
  for (let i = 0; i < args.length; i++) {
    const x = args[i]!;
    const value = () => { const v = args[++i]; if (v === undefined || v.startsWith('--')) throw new Error(`${x} needs a value`); return v; };
    try {
      if (x === '--out') a.out = value();
      else if (x === '--config-dir') a.configDir = value();
      else if (x === '--apply') a.apply = true;
      else if (x === '--force') a.force = true;
      else if (x === '--help' || x === '-h') a.help = true;
      else if (!x.startsWith('-') && positional++ === 0) a.description = x;
      else return `setup: unknown argument: ${x}`;
    } catch (e) { return `setup: ${(e as Error).message}`; }
  }
  a.out = a.out.replace(/\/+$/, '') || '/';
  return a;
}

const KEY_RE = /[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=/g;
/** Anything that reaches a log or the terminal from a tool goes through this. */
export const redactKeys = (s: string) => s.replace(KEY_RE, '<key>');

const PACKAGES = ['network', 'firewall', 'mwan3', 'wanpulse'];
const RELOAD: Record<string, string[][]> = {
  network: [['reload']], firewall: [['reload']], mwan3: [['restart']], wanpulse: [['enable'], ['restart']],
};

async function readPackages(p: Platform, dir: string): Promise<Packages> {
  const pkgs: Packages = new Map();
  for (const name of PACKAGES) {
    const text = await p.fs.readText(`${dir}/${name}`);
    if (text !== null) pkgs.set(name, parsePackage(text, `${dir}/${name}`));
  }
  return pkgs;
}

async function earlierKeys(p: Platform, out: string, routers: string[]): Promise<EarlierKeys> {
  const m: EarlierKeys = new Map();
  for (const r of routers) {
    const text = await p.fs.readText(`${out}/${r}.uci`);
    if (text === null) continue;
    const pkgs: Packages = new Map();
    applyBatch(pkgs, text);
    m.set(r, pkgs);
  }
  return m;
}

/** The zone named 'wan' as a batch reference; OpenWrt's is the anonymous @zone[1]. */
function wanZone(current: Packages): { ref: string; note: string | null } | string {
  const fw = current.get('firewall');
  if (!fw) return { ref: '@zone[1]', note: 'no firewall config here: assumed OpenWrt\'s default order (lan, wan)' };
  const zones = fw.filter((s) => s.type === 'zone');
  const i = zones.findIndex((z) => z.options.get('name') === 'wan');
  if (i < 0) return "the main router's firewall has no zone named 'wan': the tunnels need one (OpenWrt ships it)";
  return { ref: zones[i]!.name ?? `@zone[${i}]`, note: null };
}

/** mwan3 interfaces enabled here that the description does not have: tracked all the same. */
function otherUplinks(current: Packages, names: string[]): string[] {
  const others = (current.get('mwan3') ?? []).filter((s) => s.type === 'interface' && s.name && !names.includes(s.name) && s.options.get('enabled') === '1').map((s) => s.name!);
  if (!others.length) return [];
  return [`mwan3 interface(s) ${others.join(' ')} are enabled and not part of this setup: mwan3 and wanpulse track them too (off: ${others.map((o) => `uci set mwan3.${o}.enabled=0`).join('; ')}; uci commit mwan3)`];
}

/** Packages whose text a batch would change. */
function changes(current: Packages, script: string): string[] {
  const after = clonePackages(current);
  applyBatch(after, script);
  return PACKAGES.filter((n) => serialize(current.get(n) ?? []) !== serialize(after.get(n) ?? []));
}

export async function runSetup(p: Platform, args: string[]): Promise<number> {
  const out = (t: string) => p.write('stdout', t.endsWith('\n') ? t : `${t}\n`);
  const err = (t: string) => p.write('stderr', `wanpulse setup: ${redactKeys(t)}${t.endsWith('\n') ? '' : '\n'}`);
  const a = parseSetupArgs(args);
  if (typeof a === 'string') { err(`${a}\n\n${SETUP_USAGE}`); return 64; }
  if (a.help) { out(SETUP_USAGE); return 0; }

  const text = await p.fs.readText(a.description);
  if (text === null) { err(`cannot read the description ${a.description} (write one: docs/setup.md)`); return 1; }
  const { description: d, problems } = describe(text, a.description);
  if (problems.length) p.write('stderr', redactKeys(formatProblems(problems)));
  if (!d) { err(`the description has errors: nothing written`); return 1; }

  const current = await readPackages(p, a.configDir);
  const zone = wanZone(current);
  if (typeof zone === 'string') { err(`${zone}: nothing written`); return 1; }
  const wg = await findProgram(p.fs, p.env.PATH, 'wg');
  const found = await resolveKeys(d, { fs: p.fs, spawner: p.spawner, wg }, await earlierKeys(p, a.out, ['main', ...d.uplinks.map((u) => u.name)]), current);
  if (!found.keys) { err(`${found.error}: nothing written`); return 2; }

  const main = mainPlan(d, found.keys, zone.ref);
  const record = parseRecord(await p.fs.readText(`${a.out}/main.owned`));
  const own = checkOwnership(main, current, record);
  if (own.foreign.length && !a.force) {
    err(`these sections exist on this router and were not made by setup: ${own.foreign.join(', ')}.\nRename the uplinks in the description, or run again with --force to overwrite them. Nothing written.`);
    return 1;
  }
  const header = (who: string) => [`wanpulse setup: ${who}. Run: uci batch < this-file (it can run again: same result).`, 'Holds private keys: keep it mode 0600, never share it.'];
  const mainScript = renderBatch(main, { current, drop: own.drop, header: header('main router') });
  const ups: [RouterPlan, string][] = d.uplinks.map((u) => {
    const plan = uplinkPlan(d, u, found.keys!.get(u.name)!);
    return [plan, renderBatch(plan, { header: header(plan.title) })];
  });
  const mainChanges = changes(current, mainScript);
  const summary = renderSummary({
    d, keys: found.keys, outDir: a.out, wanZoneRef: zone.ref, wanZoneNote: zone.note, keySources: found.sources,
    mainChanges, forced: a.force ? own.foreign : [], notes: otherUplinks(current, d.uplinks.map((u) => u.name)),
  });

  const wrote = await writeOutputs(p, a.out, [['main.uci', mainScript], ...ups.map(([pl, s]) => [`${pl.router}.uci`, s] as [string, string])], summary);
  if (wrote) { err(wrote); return 2; }
  out(summary);
  if (!a.apply) { out(`dry run: nothing applied. Scripts in ${a.out}/; apply the main router's with --apply`); return 0; }
  return apply(p, a, main, mainScript, mainChanges, out, err);
}

/** The output directory is made 0700 before any key is written; key files are then set 0600. */
async function writeOutputs(p: Platform, dir: string, scripts: [string, string][], summary: string): Promise<string | null> {
  const chmod = await findProgram(p.fs, p.env.PATH, 'chmod');
  if (!chmod) return 'chmod not found: cannot make the key files private; nothing written';
  const mode = async (m: string, path: string) => {
    const r = await p.spawner.run([chmod, m, path], { timeoutMs: 5000 });
    if (r.code !== 0) throw new Error(`chmod ${m} ${path} failed: ${r.stderr.trim()}`);
  };
  try {
    await p.fs.mkdirp(dir);
    await mode('700', dir);
    for (const [name, text] of scripts) {
      await p.fs.writeAtomic(`${dir}/${name}`, text);
      await mode('600', `${dir}/${name}`);
    }
    await p.fs.writeAtomic(`${dir}/summary.txt`, summary);
    return null;
  } catch (e) {
    return `writing ${dir} failed: ${(e as Error).message}`;
  }
}

async function apply(p: Platform, a: SetupArgs, main: RouterPlan, script: string, changed: string[],
  out: (t: string) => void, err: (t: string) => void): Promise<number> {
  const keep = async () => p.fs.writeAtomic(`${a.out}/main.owned`, renderRecord(main));
  if (changed.length === 0) { await keep(); out('apply: nothing to change on this router'); return 0; }
  const uci = await findProgram(p.fs, p.env.PATH, 'uci');
  if (!uci) { err('apply: uci not found (this is not an OpenWrt router?): nothing applied'); return 3; }
  const r = await p.spawner.run([uci, '-c', a.configDir, 'batch'], { input: script, timeoutMs: 30_000 });
  if (r.code !== 0 || r.stderr.trim()) { err(`apply: uci batch failed (exit ${r.code}): ${r.stderr.trim()}`); return 3; }
  await keep();
  // re-read: what uci wrote must be what this run planned (a second batch would change nothing)
  const left = changes(await readPackages(p, a.configDir), script);
  if (left.length) { err(`apply: after uci batch, ${left.join(', ')} still differ from the plan`); return 3; }
  out(`apply: uci batch done (${changed.join(', ')})`);
  for (const pkg of packagesOf(main).filter((x) => changed.includes(x))) {
    const init = `/etc/init.d/${pkg}`;
    if (!(await p.fs.exists(init))) { out(`apply: ${init} not found: ${pkg} not reloaded`); continue; }
    for (const verb of RELOAD[pkg]!) {
      const rr = await p.spawner.run([init, ...verb], { timeoutMs: 60_000 });
      out(`apply: ${init} ${verb.join(' ')}: ${rr.code === 0 ? 'ok' : `exit ${rr.code} ${redactKeys(rr.stderr.trim())}`}`);
    }
  }
  return 0;
}

/** For the lab and tests: the packages a batch script sets up from nothing. */
export function packagesFromBatch(script: string): Packages {
  const pkgs: Packages = new Map();
  applyBatch(pkgs, script);
  return pkgs;
}
export { findSection };
