#!/usr/bin/env node
// `npm run package`: dist/wanpulse.js → dist/wanpulse_<version>-r<release>_all.ipk, and
// openwrt-feed/luci-app-wanpulse → dist/luci-app-wanpulse_<version>-r<release>_all.ipk (see
// build/package-luci.mjs), without the OpenWrt SDK. The feed Makefile (openwrt-feed/net/wanpulse/Makefile) is the single source: its
// install section gives every file, destination and mode, its postinst/prerm/postrm blocks the
// maintainer scripts, so this .ipk holds what an SDK build of the same Makefile would.
//
// An .ipk is a gzip'd tar (OpenWrt's scripts/ipkg-build uses tar, not Debian's ar) holding
// ./debian-binary, ./data.tar.gz and ./control.tar.gz. Everything is written here byte for byte:
// sorted entries, owner root (0/0), one fixed mtime (SOURCE_DATE_EPOCH, else the last commit's
// time), gzip without name or time, so two builds of the same tree are identical.
//
// Usage: node build/package.mjs [--bundle FILE] [--out DIR] [--feed] [--feed-dir DIR]
//   --bundle FILE  package this bundle instead of dist/wanpulse.js (no bundle build)
//   --out DIR      where the .ipk goes (default dist/)
//   --feed         also copy the bundle into the feed (files/usr/share/wanpulse/wanpulse.js)
//                  so the OpenWrt SDK can build the package
//   --feed-dir DIR the feed package directory (default openwrt-feed/net/wanpulse)
//   --luci-dir DIR the LuCI app's directory (default openwrt-feed/luci-app-wanpulse)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { luciPackage } from './package-luci.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
// used when neither SOURCE_DATE_EPOCH nor git can say (2025-01-01T00:00:00Z)
const FALLBACK_EPOCH_S = 1735689600;

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const opts = { bundle: null, out: join(root, 'dist'), feed: false, feedDir: join(root, 'openwrt-feed/net/wanpulse'), luciDir: join(root, 'openwrt-feed/luci-app-wanpulse') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => { if (i + 1 >= argv.length) fail(`${a} needs a value`); return resolve(argv[++i]); };
    if (a === '--bundle') opts.bundle = value();
    else if (a === '--out') opts.out = value();
    else if (a === '--feed') opts.feed = true;
    else if (a === '--feed-dir') opts.feedDir = value();
    else if (a === '--luci-dir') opts.luciDir = value();
    else fail(`unknown argument ${a}`);
  }
  return opts;
}

// ---- the feed Makefile ---------------------------------------------------------------------

function makeVar(text, name) {
  const m = new RegExp(`^\\s*${name}\\s*:?=\\s*(.*)$`, 'm').exec(text);
  return m ? m[1].trim() : null;
}

function defineBlock(text, name) {
  const m = new RegExp(`^define ${name.replace(/[/]/g, '\\/')}\\n([\\s\\S]*?)^endef$`, 'm').exec(text);
  return m ? m[1] : null;
}

// make's `$$` is a literal `$` in a shell script
const unescapeMake = (s) => s.replace(/\$\$/g, '$');

const MODE_OF = { INSTALL_BIN: 0o755, INSTALL_DATA: 0o644, INSTALL_CONF: 0o600 };

export function readFeed(feedDir) {
  const path = join(feedDir, 'Makefile');
  if (!existsSync(path)) fail(`${path} not found`);
  const text = readFileSync(path, 'utf8');
  const pkg = {
    name: makeVar(text, 'PKG_NAME'),
    version: makeVar(text, 'PKG_VERSION'),
    release: makeVar(text, 'PKG_RELEASE'),
    license: makeVar(text, 'PKG_LICENSE'),
  };
  const def = defineBlock(text, `Package/${pkg.name}`) ?? fail('no define Package/<name> block');
  pkg.section = makeVar(def, 'SECTION');
  pkg.arch = makeVar(def, 'PKGARCH') ?? 'all';
  pkg.depends = (makeVar(def, 'DEPENDS') ?? '').split(/\s+/).filter(Boolean)
    .map((d) => d.replace(/^\+/, '')).filter((d) => !d.startsWith('@') && !d.includes(':'));
  pkg.description = (defineBlock(text, `Package/${pkg.name}/description`) ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  pkg.conffiles = (defineBlock(text, `Package/${pkg.name}/conffiles`) ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  pkg.scripts = {};
  for (const s of ['postinst', 'prerm', 'postrm']) {
    const body = defineBlock(text, `Package/${pkg.name}/${s}`);
    if (body !== null) pkg.scripts[s] = unescapeMake(body);
  }
  pkg.dirs = [];
  pkg.files = [];
  for (const line of (defineBlock(text, `Package/${pkg.name}/install`) ?? '').split('\n')) {
    const words = line.trim().split(/\s+/);
    const macro = /^\$\((\w+)\)$/.exec(words[0] ?? '')?.[1];
    if (!macro) continue;
    const dest = (p) => { if (!p.startsWith('$(1)/')) fail(`install line without $(1)/ destination: ${line.trim()}`); return p.slice(5); };
    if (macro === 'INSTALL_DIR') { for (const d of words.slice(1)) pkg.dirs.push(dest(d)); continue; }
    if (!(macro in MODE_OF) || words.length !== 3) fail(`cannot read install line: ${line.trim()}`);
    let to = dest(words[2]);
    if (to.endsWith('/')) to += words[1].split('/').pop();
    // the bundle and the chunks built beside it (build/bundle.mjs) come from the bundle's directory
    const built = /^\$\(PKG_BUILD_DIR\)\/(wanpulse(?:-[a-z]+)?\.js)$/.exec(words[1])?.[1];
    const from = built === 'wanpulse.js' ? { bundle: true } : built ? { chunk: built } : { path: join(feedDir, words[1]) };
    pkg.files.push({ from, to, mode: MODE_OF[macro] });
  }
  for (const [k, v] of Object.entries(pkg)) if (v === null) fail(`${path}: ${k} is not set`);
  return pkg;
}

// ---- the bundle ----------------------------------------------------------------------------

function newestMtimeMs(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtimeMs(p) : st.mtimeMs);
  }
  return newest;
}

function ensureBundle() {
  const bundle = join(root, 'dist/wanpulse.js');
  const inputs = Math.max(newestMtimeMs(join(root, 'src')), statSync(join(root, 'package.json')).mtimeMs, statSync(join(root, 'build/bundle.mjs')).mtimeMs);
  if (existsSync(bundle) && statSync(bundle).mtimeMs >= inputs) return bundle;
  console.log('package: building the bundle (node build/bundle.mjs)');
  const r = spawnSync(process.execPath, [join(root, 'build/bundle.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) fail('the bundle build failed');
  return bundle;
}

// ---- tar + gzip ----------------------------------------------------------------------------

function octal(n, width) {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(name, { mode, size, mtimeS, dir }) {
  if (Buffer.byteLength(name) > 100) fail(`path too long for a tar header: ${name}`);
  const h = Buffer.alloc(512);
  h.write(name, 0, 'utf8');
  h.write(octal(mode, 8), 100);
  h.write(octal(0, 8), 108); // uid
  h.write(octal(0, 8), 116); // gid
  h.write(octal(size, 12), 124);
  h.write(octal(mtimeS, 12), 136);
  h.write(' '.repeat(8), 148); // checksum field counts as spaces while summing
  h.write(dir ? '5' : '0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write('root', 265);
  h.write('root', 297);
  h.write(octal(0, 8), 329); // devmajor
  h.write(octal(0, 8), 337); // devminor
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

/** entries: [{ name, mode, data?: Buffer }] in archive order; a name ending in '/' is a directory */
export function tar(entries, mtimeS) {
  const parts = [];
  for (const e of entries) {
    const dir = e.name.endsWith('/');
    const data = dir ? Buffer.alloc(0) : e.data;
    parts.push(tarHeader(e.name, { mode: e.mode, size: data.length, mtimeS, dir }));
    if (data.length) {
      parts.push(data);
      const pad = (512 - (data.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024)); // end of archive: two zero blocks
  return Buffer.concat(parts);
}

// zlib's gzip header carries no file name and mtime 0: the output depends on the input only
const gzip = (buf) => gzipSync(buf, { level: 9 });

/** Sorts like `tar --sort=name` over a directory: each directory's entries after it, by name. */
function treeEntries(files, dirs) {
  const all = new Map([['./', { name: './', mode: 0o755 }]]);
  const addDir = (d) => {
    const parts = d.split('/').filter((p) => p && p !== '.');
    for (let i = 1; i <= parts.length; i++) {
      const name = `./${parts.slice(0, i).join('/')}/`;
      if (!all.has(name)) all.set(name, { name, mode: 0o755 });
    }
  };
  dirs.forEach(addDir);
  for (const f of files) {
    addDir(dirname(f.name.slice(2)));
    all.set(f.name, f);
  }
  const key = (name) => name.replace(/\/$/, '').split('/');
  return [...all.values()].sort((a, b) => {
    const ka = key(a.name);
    const kb = key(b.name);
    for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
      if (ka[i] !== kb[i]) return Buffer.compare(Buffer.from(ka[i]), Buffer.from(kb[i]));
    }
    return ka.length - kb.length;
  });
}

function sourceEpochS() {
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env && /^\d+$/.test(env)) return Number(env);
  const git = spawnSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8' });
  const t = Number(git.stdout?.trim());
  return git.status === 0 && Number.isInteger(t) && t > 0 ? t : FALLBACK_EPOCH_S;
}

// ---- control files, mirroring what the SDK's include/package-pack.mk generates for opkg ----

function controlText(pkg, version, installedSize) {
  const depends = ['libc', ...pkg.depends].join(', ');
  return [
    `Package: ${pkg.name}`,
    `Version: ${version}`,
    `Depends: ${depends}`,
    `Source: feeds/wanpulse/${pkg.source ?? `net/${pkg.name}`}`,
    `SourceName: ${pkg.name}`,
    `License: ${pkg.license}`,
    `Section: ${pkg.section}`,
    `Architecture: ${pkg.arch}`,
    `Installed-Size: ${installedSize}`,
    `Description: ${pkg.description.join('\n ')}`,
    '',
  ].join('\n');
}

// The wrappers the SDK writes: default_postinst runs the package's uci-defaults, enables and
// starts its init script and sources <pkg>.postinst-pkg; default_prerm stops and disables it.
// (Same logic as the SDK's wrappers, quoted so that shellcheck passes.)
const sourceFunctions = [
  '[ -s "${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0',
  '# shellcheck source=/dev/null',
  '. "${IPKG_INSTROOT}/lib/functions.sh"',
];
const POSTINST = ['#!/bin/sh', '[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0', ...sourceFunctions, 'default_postinst "$0" "$@"', ''].join('\n');
const PRERM = ['#!/bin/sh', ...sourceFunctions, 'default_prerm "$0" "$@"', ''].join('\n');

// ---- main ----------------------------------------------------------------------------------

/** Writes <out>/<name>_<version>_<arch>.ipk: files [{ name: './path', mode, data }], dirs
 *  (extra empty directories), pkg as readFeed() returns it (postinst/prerm wrappers included). */
export function writeIpk(pkg, version, files, dirs, outDir, mtimeS) {
  const dataTar = tar(treeEntries(files, dirs), mtimeS);
  const control = [
    { name: './control', mode: 0o644, data: Buffer.from(controlText(pkg, version, dataTar.length)) },
    { name: './postinst', mode: 0o755, data: Buffer.from(POSTINST) },
    { name: './prerm', mode: 0o755, data: Buffer.from(PRERM) },
  ];
  if (pkg.conffiles.length) control.push({ name: './conffiles', mode: 0o644, data: Buffer.from(pkg.conffiles.sort().join('\n') + '\n') });
  if (pkg.scripts.postinst) control.push({ name: './postinst-pkg', mode: 0o755, data: Buffer.from(pkg.scripts.postinst) });
  if (pkg.scripts.prerm) control.push({ name: './prerm-pkg', mode: 0o755, data: Buffer.from(pkg.scripts.prerm) });
  if (pkg.scripts.postrm) control.push({ name: './postrm', mode: 0o755, data: Buffer.from(pkg.scripts.postrm) });
  const controlTar = tar(treeEntries(control, []), mtimeS);

  // same member order as ipkg-build
  const ipk = gzip(tar([
    { name: './debian-binary', mode: 0o644, data: Buffer.from('2.0\n') },
    { name: './data.tar.gz', mode: 0o644, data: gzip(dataTar) },
    { name: './control.tar.gz', mode: 0o644, data: gzip(controlTar) },
  ], mtimeS));

  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, `${pkg.name}_${version}_${pkg.arch}.ipk`);
  writeFileSync(out, ipk);
  console.log(`${out} ${(ipk.length / 1024).toFixed(1)} KB`);
  return out;
}

/** PKG_VERSION must equal package.json's version and be what apk accepts; returns <v>-r<rel>. */
export function checkedVersion(pkg, makefile) {
  const npmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  if (pkg.version !== npmVersion) {
    fail(`${makefile} has PKG_VERSION ${pkg.version} but package.json has ${npmVersion}: make them equal`);
  }
  // apk (OpenWrt 25.12+) accepts only dotted numbers here, and a numeric release
  if (!/^\d+(\.\d+)*$/.test(pkg.version)) fail(`version ${pkg.version} is not a plain dotted number, which apk rejects`);
  if (!/^\d+$/.test(pkg.release)) fail(`PKG_RELEASE ${pkg.release} must be a number`);
  return `${pkg.version}-r${pkg.release}`;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const pkg = readFeed(opts.feedDir);
  const version = checkedVersion(pkg, join(opts.feedDir, 'Makefile'));

  const bundle = opts.bundle ?? ensureBundle();
  if (!existsSync(bundle)) fail(`bundle ${bundle} not found`);
  if (opts.feed) {
    const to = join(opts.feedDir, 'files/usr/share/wanpulse/wanpulse.js');
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(bundle, to);
    console.log(`package: copied the bundle to ${to} for the OpenWrt SDK`);
  }

  // `wanpulse setup`, `wanpulse status` and the Node.js adapter are their own files beside the
  // bundle (build/bundle.mjs): the first two loaded only by their command, the third only under
  // Node.js (the launcher's fallback when there is no tjs)
  const bundleTo = pkg.files.find((f) => f.from.bundle)?.to;
  const chunkFrom = (chunk) => join(dirname(bundle), chunk);
  // the Makefile installs setup and status always, the Node.js adapter when it was built
  if (bundleTo && !pkg.files.some((f) => f.from.chunk === 'wanpulse-node.js')) {
    pkg.files.push({ from: { chunk: 'wanpulse-node.js', optional: true }, to: join(dirname(bundleTo), 'wanpulse-node.js'), mode: 0o644 });
  }
  const what = { 'wanpulse-setup.js': 'no `wanpulse setup`', 'wanpulse-status.js': 'no `wanpulse status`', 'wanpulse-node.js': 'no Node.js fallback' };
  pkg.files = pkg.files.filter((f) => {
    if (!f.from.chunk) return true;
    const from = chunkFrom(f.from.chunk);
    if (opts.feed && existsSync(from)) {
      const to = join(opts.feedDir, `files/usr/share/wanpulse/${f.from.chunk}`);
      copyFileSync(from, to);
      console.log(`package: copied ${f.from.chunk} to ${to} for the OpenWrt SDK`);
    }
    if (existsSync(from)) { f.from = { path: from }; return true; }
    if (!opts.bundle && !f.from.optional) fail(`${from} not found (it is built with the bundle)`);
    console.warn(`package: no ${f.from.chunk} beside ${bundle}: this package has ${what[f.from.chunk] ?? 'less'}`);
    return false;
  });

  const mtimeS = sourceEpochS();
  const files = pkg.files.map((f) => {
    const from = f.from.bundle ? bundle : f.from.path;
    if (!existsSync(from)) fail(`${from} (for /${f.to}) not found`);
    return { name: `./${f.to}`, mode: f.mode, data: readFileSync(from) };
  });
  writeIpk(pkg, version, files, pkg.dirs, opts.out, mtimeS);

  const luci = luciPackage(opts.luciDir, fail);
  writeIpk(luci.pkg, checkedVersion(luci.pkg, join(opts.luciDir, 'Makefile')), luci.files, [], opts.out, mtimeS);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
