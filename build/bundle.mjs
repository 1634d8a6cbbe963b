#!/usr/bin/env node
// `npm run build`: src/main.ts → dist/wanpulse.js, one ES module that runs under `tjs run` and
// under `node`. Node's built-ins stay external and are only imported dynamically by
// src/platform/node.ts. lineLimit keeps lines short: QuickJS-ng parses long lines slowly.
import { build } from 'esbuild';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shimAliases } from './shims/aliases.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const outfile = `${root}dist/wanpulse.js`;
const BUDGET = 150 * 1024;

await build({
  entryPoints: [`${root}src/main.ts`],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  mainFields: ['module', 'main'],
  external: ['node:*'],
  // mqtt-packet's Node-only helpers → small shims (build/shims/): txiki.js has no process/stream
  alias: shimAliases,
  minify: true,
  lineLimit: 200,
  legalComments: 'none',
  define: { __WANPULSE_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});

const size = statSync(outfile).size;
console.log(`dist/wanpulse.js ${(size / 1024).toFixed(1)} KB (budget ${BUDGET / 1024} KB)`);
if (size > BUDGET) {
  console.error('bundle is over budget');
  process.exit(1);
}
