#!/usr/bin/env node
// `npm run build`: src/main.ts → dist/wanpulse.js, one ES module that runs under `tjs run` and
// under `node`. Node's built-ins stay external and are only imported dynamically by
// src/platform/node.ts. lineLimit keeps lines short: QuickJS-ng parses long lines slowly.
// `wanpulse setup` is a second file, dist/wanpulse-setup.js, that the daemon's bundle imports
// dynamically only when that command runs: it is not part of the daemon's size budget. The Node.js
// adapter is a third, dist/wanpulse-node.js, imported only when the bundle runs under Node (tests,
// the lab, a gateway without txiki.js): a router running tjs never loads it. `wanpulse status`'s
// parser and renderer are a fourth, dist/wanpulse-status.js, loaded only by that command.
import { build } from 'esbuild';
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const outfile = `${root}dist/wanpulse.js`;
const setupOutfile = `${root}dist/wanpulse-setup.js`;
const nodeOutfile = `${root}dist/wanpulse-node.js`;
const statusOutfile = `${root}dist/wanpulse-status.js`;
const BUDGET = 150 * 1024;

/** cli.ts's `import('./setup/command.ts')` stays an import, of the file built beside the bundle. */
const setupApart = {
  name: 'setup-apart',
  setup(b) {
    b.onResolve({ filter: /\/setup\/command\.ts$/ }, () => ({ path: './wanpulse-setup.js', external: true }));
    b.onResolve({ filter: /\/status\/command\.ts$/ }, () => ({ path: './wanpulse-status.js', external: true }));
    b.onResolve({ filter: /\/platform\/node\.ts$/ }, () => ({ path: './wanpulse-node.js', external: true }));
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  mainFields: ['module', 'main'],
  external: ['node:*'],
  minify: true,
  lineLimit: 200,
  legalComments: 'none',
  define: { __WANPULSE_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
};
await build({ ...common, entryPoints: [`${root}src/main.ts`], outfile, plugins: [setupApart] });
await build({ ...common, entryPoints: [`${root}src/setup/command.ts`], outfile: setupOutfile });
await build({ ...common, entryPoints: [`${root}src/platform/node.ts`], outfile: nodeOutfile });
await build({ ...common, entryPoints: [`${root}src/status/command.ts`], outfile: statusOutfile });

const size = statSync(outfile).size;
console.log(`dist/wanpulse.js ${(size / 1024).toFixed(1)} KB (budget ${BUDGET / 1024} KB); dist/wanpulse-setup.js ${(statSync(setupOutfile).size / 1024).toFixed(1)} KB (loaded only by \`wanpulse setup\`); dist/wanpulse-status.js ${(statSync(statusOutfile).size / 1024).toFixed(1)} KB (only by \`wanpulse status\`); dist/wanpulse-node.js ${(statSync(nodeOutfile).size / 1024).toFixed(1)} KB (loaded only under Node.js)`);
if (size > BUDGET) {
  console.error('bundle is over budget');
  process.exit(1);
}
