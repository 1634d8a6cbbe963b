// The lab is built from what `wanpulse setup` generates for real routers: setup runs on
// test/lab/lab-network.conf (real `wg genkey`), the main router's batch is applied to a fresh
// OpenWrt config (test/setup/fixtures/fresh) with the project's batch model, and this file
// translates the resulting UCI — netifd's WireGuard interfaces and peers, mwan3's track_ips,
// reliability and the members of the policy in use — into the `ip`/`wg` arguments and the
// wanpulse interface options the lab runs with. mwan3 and netifd cannot run here; the WireGuard
// tunnels, addresses, MTU, keys and peers are exactly the generated ones.
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodePlatform } from '../../src/platform/node.ts';
import { runSetup } from '../../src/setup/command.ts';
import { describe, type Description } from '../../src/setup/describe.ts';
import { applyBatch, findSection, parsePackage, type Packages, type Sec } from '../../src/setup/uci-model.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
export const LAB_DESCRIPTION = join(here, 'lab-network.conf');
const FRESH = join(here, '../setup/fixtures/fresh');

/** The description itself (pure: addresses only, no keys). */
export function labDescription(): Description {
  const { description, problems } = describe(readFileSync(LAB_DESCRIPTION, 'utf8'), LAB_DESCRIPTION);
  if (!description) throw new Error(`lab: ${LAB_DESCRIPTION} has errors: ${JSON.stringify(problems)}`);
  return description;
}

export interface WgSide {
  privateKey: string;
  listenPort: number;
  /** with prefix, e.g. 10.91.1.2/24 */
  address: string;
  mtu: number;
  peer: { publicKey: string; allowedIps: string[]; endpoint?: string; keepaliveS?: number };
}

export interface LabTunnel {
  name: string;
  main: WgSide;
  up: WgSide;
  /** from mwan3: the interface's track_ip list and reliability */
  trackIps: string[];
  reliability: number;
  /** from the mwan3 member of the policy the all-IPv4 rule uses */
  weight: number;
  metric: number;
  /** from the uplink router's firewall: the source network it masquerades out of wan */
  natSrc: string;
}

export interface LabNet {
  tunnels: LabTunnel[];
  /** setup's summary (public keys only) */
  summary: string;
  outDir: string;
}

const str = (s: Sec, o: string): string => {
  const v = s.options.get(o);
  if (typeof v !== 'string') throw new Error(`lab: generated ${s.type} '${s.name}' has no option ${o}`);
  return v;
};
const list = (s: Sec, o: string): string[] => {
  const v = s.options.get(o);
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};
const need = (pkgs: Packages, pkg: string, ref: string): Sec => {
  const s = findSection(pkgs.get(pkg) ?? [], ref);
  if (!s) throw new Error(`lab: generated ${pkg} has no section ${ref}`);
  return s;
};

/** One netifd WireGuard interface and its (single) peer section as a WgSide. */
function wgSide(pkgs: Packages, iface: string): WgSide {
  const i = need(pkgs, 'network', iface);
  if (str(i, 'proto') !== 'wireguard') throw new Error(`lab: network.${iface} is not proto wireguard`);
  const peers = (pkgs.get('network') ?? []).filter((s) => s.type === `wireguard_${iface}`);
  if (peers.length !== 1) throw new Error(`lab: network.${iface} has ${peers.length} peers, expected 1`);
  const p = peers[0]!;
  const host = p.options.get('endpoint_host');
  return {
    privateKey: str(i, 'private_key'), listenPort: Number(str(i, 'listen_port')), address: list(i, 'addresses')[0]!, mtu: Number(str(i, 'mtu')),
    peer: {
      publicKey: str(p, 'public_key'), allowedIps: list(p, 'allowed_ips'),
      ...(typeof host === 'string' ? { endpoint: `${host}:${str(p, 'endpoint_port')}` } : {}),
      ...(p.options.has('persistent_keepalive') ? { keepaliveS: Number(str(p, 'persistent_keepalive')) } : {}),
    },
  };
}

/** Pure: the main router's config after setup and each uplink router's generated packages. */
export function translate(main: Packages, ups: Map<string, Packages>): LabTunnel[] {
  const mwan3 = main.get('mwan3') ?? [];
  const all = mwan3.find((s) => s.type === 'rule' && s.options.get('dest_ip') === '0.0.0.0/0');
  if (!all) throw new Error('lab: the generated mwan3 config has no all-IPv4 rule');
  const policy = need(main, 'mwan3', str(all, 'use_policy'));
  const members = list(policy, 'use_member').map((m) => need(main, 'mwan3', m));
  return [...ups].map(([name, pkgs]) => {
    const m = members.find((x) => x.options.get('interface') === name);
    if (!m) throw new Error(`lab: policy ${policy.name} has no member for ${name}`);
    const iface = need(main, 'mwan3', name);
    const nat = (pkgs.get('firewall') ?? []).find((s) => s.type === 'nat' && s.options.get('target') === 'MASQUERADE');
    if (!nat) throw new Error(`lab: the ${name} router's firewall has no masquerading nat section`);
    return {
      natSrc: str(nat, 'src_ip'),
      name, main: wgSide(main, name), up: wgSide(pkgs, name),
      trackIps: list(iface, 'track_ip'), reliability: Number(str(iface, 'reliability')),
      weight: Number(str(m, 'weight')), metric: Number(str(m, 'metric')),
    };
  });
}

/** Runs `wanpulse setup` on the lab's description into `dir` and translates what it wrote. */
export async function generateLabNet(dir: string): Promise<LabNet> {
  const outDir = join(dir, 'setup');
  const configDir = join(dir, 'setup-main-config');
  mkdirSync(configDir, { recursive: true });
  cpSync(FRESH, configDir, { recursive: true });
  let out = '';
  let err = '';
  const p = { ...nodePlatform(), write: (s: 'stdout' | 'stderr', t: string) => { if (s === 'stdout') out += t; else err += t; } };
  const code = await runSetup(p, [LAB_DESCRIPTION, '--out', outDir, '--config-dir', configDir]);
  if (code !== 0) throw new Error(`lab: wanpulse setup failed (exit ${code}): ${err}`);
  const d = labDescription();
  const read = (name: string) => readFileSync(join(outDir, `${name}.uci`), 'utf8');
  // the main router: its fresh config with the generated batch applied (what `--apply` does)
  const main: Packages = new Map();
  for (const pkg of ['network', 'firewall', 'mwan3', 'wanpulse']) main.set(pkg, parsePackage(readFileSync(join(configDir, pkg), 'utf8'), pkg));
  const r = applyBatch(main, read('main'));
  if (r.errors.length) throw new Error(`lab: the main batch does not apply: ${r.errors.join('; ')}`);
  const ups = new Map(d.uplinks.map((u) => {
    const pkgs: Packages = new Map();
    const e = applyBatch(pkgs, read(u.name)).errors;
    if (e.length) throw new Error(`lab: the ${u.name} batch does not apply: ${e.join('; ')}`);
    return [u.name, pkgs];
  }));
  return { tunnels: translate(main, ups), summary: out, outDir };
}

/** `wg set <dev> …` arguments for one side; the private key goes through a 0600 file. */
export function wgSetArgs(side: WgSide, keyFile: string): string[] {
  const p = side.peer;
  return ['listen-port', String(side.listenPort), 'private-key', keyFile,
    'peer', p.publicKey, 'allowed-ips', p.allowedIps.join(','),
    ...(p.endpoint ? ['endpoint', p.endpoint] : []),
    ...(p.keepaliveS ? ['persistent-keepalive', String(p.keepaliveS)] : [])];
}
