// A main router at the ports: the config files in memory (MemoryFs), and a FakeSpawner that
// plays `wg genkey`/`wg pubkey` (deterministic keys), `chmod` (recorded modes) and
// `uci -c DIR batch` (applied with the project's batch model, as the real uci does: see
// docs/setup.md for the hand check against OpenWrt's uci).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Platform, RunResult } from '../../src/platform/ports.ts';
import { runSetup } from '../../src/setup/command.ts';
import { applyBatch, parsePackage, serialize, type Packages } from '../../src/setup/uci-model.ts';
import { MemoryFs } from '../fakes/fs.ts';
import { FakeSpawner } from '../fakes/spawner.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
export const PACKAGES = ['network', 'firewall', 'mwan3', 'wanpulse'] as const;
export const fixture = (name: string) => readFileSync(`${here}fixtures/${name}`, 'utf8');

export interface Router {
  fs: MemoryFs;
  spawner: FakeSpawner;
  modes: Map<string, string>;
  /** private keys handed out by the fake `wg genkey` */
  generated: string[];
  run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  packages(): Packages;
}

const ok = (stdout = ''): RunResult => ({ code: 0, signal: null, stdout, stderr: '' });
export const fakePub = (priv: string) => Buffer.from(Buffer.from(priv, 'base64').map((b) => b ^ 0x55)).toString('base64');

/** A fresh OpenWrt main router (test/setup/fixtures/fresh) with /etc/init.d scripts present. */
export function router(o: { description?: string; files?: Record<string, string>; wg?: boolean } = {}): Router {
  const files: Record<string, string> = { '/etc/wanpulse/setup.conf': o.description ?? fixture('two-uplinks.conf') };
  for (const p of PACKAGES) files[`/etc/config/${p}`] = fixture(`fresh/${p}`);
  for (const bin of ['/usr/bin/chmod', '/sbin/uci', ...(o.wg === false ? [] : ['/usr/bin/wg'])]) files[bin] = '';
  for (const s of ['network', 'firewall', 'mwan3', 'wanpulse']) files[`/etc/init.d/${s}`] = '';
  Object.assign(files, o.files ?? {});
  const fs = new MemoryFs(files);
  const modes = new Map<string, string>();
  const generated: string[] = [];
  let n = 0;
  const spawner = new FakeSpawner((argv, opts) => {
    const [bin, ...rest] = argv;
    if (bin === '/usr/bin/wg' && rest[0] === 'genkey') {
      n++;
      const k = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 7 + n * 13) % 256)).toString('base64');
      generated.push(k);
      return ok(`${k}\n`);
    }
    if (bin === '/usr/bin/wg' && rest[0] === 'pubkey') return ok(`${fakePub(String(opts.input).trim())}\n`);
    if (bin === '/usr/bin/chmod') { modes.set(rest[1]!, rest[0]!); return ok(); }
    if (bin === '/sbin/uci' && rest[0] === '-c' && rest[2] === 'batch') {
      const dir = rest[1]!;
      const pkgs: Packages = new Map();
      for (const p of PACKAGES) { const t = fs.files.get(`${dir}/${p}`); if (t !== undefined) pkgs.set(p, parsePackage(t, p)); }
      const r = applyBatch(pkgs, String(opts.input));
      for (const p of r.touched) fs.files.set(`${dir}/${p}`, serialize(pkgs.get(p)!));
      return { code: r.errors.length ? 1 : 0, signal: null, stdout: '', stderr: r.errors.map((e) => `uci: ${e}\n`).join('') };
    }
    return ok();
  });
  const r: Router = {
    fs, spawner, modes, generated,
    async run(args) {
      let stdout = '';
      let stderr = '';
      const p = {
        runtime: 'node', fs, spawner, args, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, pid: 1,
        write: (s: 'stdout' | 'stderr', t: string) => { if (s === 'stdout') stdout += t; else stderr += t; },
      } as unknown as Platform;
      const code = await runSetup(p, args);
      return { code, stdout, stderr };
    },
    packages() {
      const pkgs: Packages = new Map();
      for (const p of PACKAGES) { const t = fs.files.get(`/etc/config/${p}`); if (t !== undefined) pkgs.set(p, parsePackage(t, p)); }
      return pkgs;
    },
  };
  return r;
}
