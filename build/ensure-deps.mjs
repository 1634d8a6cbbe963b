#!/usr/bin/env node
// Installs what `npm test`, `npm run lab` and `npm run bench` need on a fresh Debian machine:
// the npm packages from package-lock.json and the Debian packages in build/deps-debian.txt.
// Does nothing when everything is there. Only root can install Debian packages; others get a
// clear list of what is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function have(cmd) {
  const paths = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin', '/usr/bin', '/bin']);
  return paths.some((p) => p && existsSync(join(p, cmd)));
}

function sh(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit', ...opts });
  return r.status === 0;
}

// every package the lock file names must be there (a pull that added one needs npm ci again)
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
const lockedMissing = Object.keys(lock.packages ?? {}).filter((p) => p.startsWith('node_modules/') && !lock.packages[p].optional && !existsSync(join(root, p)));
if (!existsSync(join(root, 'node_modules/.package-lock.json')) || lockedMissing.length) {
  console.error('[deps] installing npm packages (npm ci)');
  if (!sh(['npm', 'ci', '--no-audit', '--no-fund'], { cwd: root })) process.exit(1);
}

const wanted = readFileSync(join(root, 'build/deps-debian.txt'), 'utf8')
  .split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
  .map((l) => l.split(/\s+/));
const missing = wanted.filter(([, ...cmds]) => cmds.some((cmd) => !have(cmd))).map(([pkg]) => pkg);
if (missing.length) {
  if (process.getuid?.() !== 0) {
    console.error(`[deps] missing Debian packages: ${missing.join(' ')} (run as root, or: apt-get install ${missing.join(' ')})`);
    process.exit(0); // tests that need them say so and skip loudly
  }
  console.error(`[deps] installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  sh(['apt-get', 'update', '-qq'], { env });
  if (!sh(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], { env })) {
    console.error('[deps] apt-get install failed');
    process.exit(1);
  }
}
