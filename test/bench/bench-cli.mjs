#!/usr/bin/env node
// `npm run bench`: install what the lab needs, then run the benchmark (TypeScript, through tsx).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
if (!process.argv.includes('--help')) {
  if (process.getuid?.() !== 0) {
    console.error('bench: needs root (network namespaces, nftables, WireGuard): sudo npm run bench');
    process.exit(1);
  }
  const r = spawnSync(process.execPath, [`${root}build/ensure-deps.mjs`, '--for', 'lab'], { stdio: 'inherit' });
  if (r.status !== 0) { console.error('bench: installing dependencies failed (see above)'); process.exit(1); }
}
const { register } = await import('tsx/esm/api');
register();
await import('./bench.ts');
