#!/usr/bin/env node
// `npm run lab`: on a fresh Debian machine, first install what the lab needs (npm packages and
// the Debian packages in build/deps-debian.txt), then run the lab (TypeScript, through tsx).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
if (!args.includes('--help') && !args.includes('-h') && !args.includes('--cleanup')) {
  if (process.getuid?.() !== 0) {
    console.error('lab: needs root (network namespaces, nftables, WireGuard): sudo npm run lab');
    process.exit(1);
  }
  const r = spawnSync(process.execPath, [`${root}build/ensure-deps.mjs`, '--for', 'lab'], { stdio: 'inherit' });
  if (r.status !== 0) { console.error('lab: installing dependencies failed (see above)'); process.exit(1); }
}
// tsx is an npm dependency, so it can only be loaded once ensure-deps has run
const { register } = await import('tsx/esm/api');
register();
await import('./lab.ts');
