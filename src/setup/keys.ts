// WireGuard keys for setup. Each tunnel has two pairs: the main router's end and the uplink
// router's end. A private key comes from, first match wins: the description, the earlier output
// of setup (the batch file of the router that owns it), the main router's current config, or
// `wg genkey`. Public keys are derived with `wg pubkey` (or given in the description). Keys are
// never logged: error messages name the key, not its value.
import type { FileSystem, Spawner } from '../platform/ports.ts';
import type { Description } from './describe.ts';
import type { TunnelKeys } from './plan.ts';
import { findSection, type Packages } from './uci-model.ts';

export interface KeyDeps {
  fs: FileSystem;
  spawner: Spawner;
  /** the `wg` binary, or null when it is not installed */
  wg: string | null;
}

/** Private keys found in earlier output, per router ('main' or the uplink's name). */
export type EarlierKeys = Map<string, Packages>;

export type KeySource = 'description' | 'earlier output' | 'current config' | 'generated';

export interface KeysResult {
  keys: Map<string, TunnelKeys> | null;
  /** where each private key came from, for the summary: `wg0 main: generated` */
  sources: string[];
  error: string | null;
}

/** The first `dir/name` in PATH that exists (tjs must never be asked to spawn a missing program). */
export async function findProgram(fs: FileSystem, path: string | undefined, name: string): Promise<string | null> {
  for (const dir of (path || '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (dir && await fs.exists(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return null;
}

function keyIn(pkgs: Packages | undefined, iface: string): string | undefined {
  const v = pkgs ? findSection(pkgs.get('network') ?? [], iface)?.options.get('private_key') : undefined;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export async function resolveKeys(d: Description, deps: KeyDeps, earlier: EarlierKeys, current: Packages): Promise<KeysResult> {
  const keys = new Map<string, TunnelKeys>();
  const sources: string[] = [];
  const wg = deps.wg;
  const genkey = async (): Promise<string> => {
    const r = await deps.spawner.run([wg!, 'genkey'], { timeoutMs: 5000 });
    const k = r.stdout.trim();
    if (r.code !== 0 || k.length !== 44) throw new Error(`\`wg genkey\` failed (exit ${r.code}): ${r.stderr.trim()}`);
    return k;
  };
  const pubkey = async (priv: string): Promise<string> => {
    const r = await deps.spawner.run([wg!, 'pubkey'], { input: `${priv}\n`, timeoutMs: 5000 });
    const k = r.stdout.trim();
    if (r.code !== 0 || k.length !== 44) throw new Error(`\`wg pubkey\` refused a private key (exit ${r.code})`);
    return k;
  };
  try {
    for (const u of d.uplinks) {
      const pair = async (side: 'main' | 'up', router: string, supplied?: string, suppliedPub?: string) => {
        const label = `${u.name} ${side === 'main' ? 'main router' : 'uplink router'}`;
        let priv = supplied;
        let source: KeySource = 'description';
        if (!priv) { priv = keyIn(earlier.get(router), u.name); source = 'earlier output'; }
        if (!priv && side === 'main') { priv = keyIn(current, u.name); source = 'current config'; }
        if (!priv) {
          if (!wg) throw new Error(`no private key for ${label}: \`wg\` is not installed (opkg install wireguard-tools) and the description gives none (${side === 'main' ? 'main_private_key' : 'private_key'})`);
          priv = await genkey();
          source = 'generated';
        }
        let pub = supplied ? suppliedPub : undefined;
        if (!pub) {
          if (!wg) throw new Error(`no public key for ${label}: \`wg\` is not installed to derive it; give ${side === 'main' ? 'main_public_key' : 'public_key'} in the description`);
          pub = await pubkey(priv);
        } else if (wg && await pubkey(priv) !== pub) {
          throw new Error(`${label}: the public key in the description does not belong to its private key`);
        }
        sources.push(`${label}: private key ${source}`);
        return { priv, pub };
      };
      const m = await pair('main', 'main', u.keys.mainPrivate, u.keys.mainPublic);
      const up = await pair('up', u.name, u.keys.upPrivate, u.keys.upPublic);
      keys.set(u.name, { mainPrivate: m.priv, mainPublic: m.pub, upPrivate: up.priv, upPublic: up.pub });
    }
  } catch (e) {
    return { keys: null, sources, error: (e as Error).message };
  }
  return { keys, sources, error: null };
}
