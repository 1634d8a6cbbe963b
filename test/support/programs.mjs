// Which programs the tests may run, and which program a spawn really starts.
//
// Every program a test, the lab or the bench runs must be installed by the project's own files:
// the Debian packages in build/deps-debian.txt (installed by build/ensure-deps.mjs). The spawn
// guard (spawn-guard.mjs) records what each test file runs; test/run.mjs then checks the record
// against this module and fails with the program's name when one is used but not declared.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Programs of Debian's essential packages (dash, coreutils, util-linux, …): on every Debian
 *  system, so no package list has to install them. */
export const ESSENTIAL = new Set([
  'sh', 'dash', 'bash', 'env', 'true', 'false', 'cat', 'kill', 'sleep', 'mkdir', 'rm', 'ls', 'tar',
  'gzip', 'id', 'uname', 'hostname', 'timeout', 'chmod', 'mv', 'cp', 'tee', 'head', 'tail',
  'wc', 'sed', 'grep', 'mktemp', 'date', 'stat', 'sync', 'apt-get', 'dpkg', 'nproc', 'getconf',
  'find', 'xargs', 'stdbuf', 'nice', 'mkfifo',
]);

/** OpenWrt programs the daemon may try on a router (found absent here, by design: the tests give
 *  it fakes at the spawner port or in a temporary bin directory). */
export const ROUTER_ONLY = new Set(['ubus', 'hotplug-call', 'uci', 'tjs', 'mwan3', 'mwan3track', 'logger', 'opkg', 'apk']);

/** build/deps-debian.txt as [package, commands…] rows (the first command proves the package). */
export function declaredPackages(file = join(root, 'build/deps-debian.txt')) {
  return readFileSync(file, 'utf8').split('\n')
    .map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)
    .map((l) => l.split(/\s+/))
    .map(([pkg, ...cmds]) => ({ pkg, cmds }));
}

export function declaredCommands(file) {
  return new Set(declaredPackages(file).flatMap((p) => p.cmds));
}

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of a command on this system's standard PATH, or null. */
export function which(cmd) {
  if (isAbsolute(cmd)) return existsSync(cmd) ? cmd : null;
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean).concat(SYSTEM_PATH);
  for (const d of dirs) {
    const p = join(d, cmd);
    try { if (statSync(p).isFile()) return p; } catch { /* next */ }
  }
  return null;
}

/** Scripts and binaries that belong to the test run itself (written into a temporary directory,
 *  or part of the repository or node_modules): not system programs. */
function isLocal(path) {
  return path === process.execPath || path.startsWith(tmpdir() + '/') || path.startsWith('/tmp/') || path.startsWith(root);
}

/**
 * The programs one spawn runs, by name: argv[0], and what `ip netns exec NS`, `env` and
 * `busybox`-less wrappers hand on to. Local scripts and Node itself are left out.
 * Examples: ['ip','netns','exec','a','fping','-v'] → ['ip','fping']; ['env','-i','A=1','x'] → ['env','x'].
 */
export function programsOf(file, args = []) {
  const out = [];
  let argv = [file, ...args];
  for (let guard = 0; guard < 8 && argv.length; guard++) {
    const first = String(argv[0]);
    if (isAbsolute(first) && isLocal(first)) return out;
    if (first === process.execPath || first === 'node') return out;
    const name = basename(first);
    out.push(name);
    if (name === 'ip' && argv[1] === 'netns' && argv[2] === 'exec') { argv = argv.slice(4); continue; }
    if (name === 'env') {
      let i = 1;
      while (i < argv.length && (String(argv[i]).startsWith('-') || String(argv[i]).includes('='))) i++;
      argv = argv.slice(i);
      continue;
    }
    if (name === 'timeout') { argv = argv.slice(2); continue; }
    break;
  }
  return out;
}

/** What is wrong with one recorded program name: null when it is declared and installed. */
export function problemWith(name, declared) {
  if (ESSENTIAL.has(name) || ROUTER_ONLY.has(name)) return null;
  if (!declared.has(name)) return `runs '${name}', which build/deps-debian.txt does not install`;
  if (!which(name)) return `runs '${name}', which is declared in build/deps-debian.txt but not installed here (run node build/ensure-deps.mjs as root)`;
  return null;
}
