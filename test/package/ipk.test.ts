// `npm run package` (build/package.mjs): the .ipk a user installs with opkg. Built from a stub
// bundle so the test does not depend on the daemon's sources, unpacked with the standard `tar`,
// and checked the way opkg and the router would see it.
import { program } from '../support/need.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const feedDir = join(root, 'openwrt-feed/net/wanpulse');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
const release = /^PKG_RELEASE:=(\d+)$/m.exec(readFileSync(join(feedDir, 'Makefile'), 'utf8'))?.[1];
const ipkName = `wanpulse_${version}-r${release}_all.ipk`;

const tmp = mkdtempSync(join(tmpdir(), `wanpulse-ipk-${process.pid}-`));
const stub = join(tmp, 'stub.js');
// ES-module syntax on purpose: under node it only runs when package.json marks it as a module
writeFileSync(stub, 'export const argv = process.argv.slice(2);\nconsole.log(JSON.stringify({ argv, tjsHome: process.env.TJS_HOME ?? null }));\n');

function run(cmd: string, args: string[], env: Record<string, string> = {}, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

function build(out: string, extra: string[] = [], env: Record<string, string> = {}) {
  const r = run(process.execPath, [join(root, 'build/package.mjs'), '--bundle', stub, '--out', out, ...extra], env);
  assert.is(r.code, 0, r.err + r.out);
  return join(out, ipkName);
}

function unpack(ipk: string) {
  const dir = mkdtempSync(join(tmp, 'unpack-'));
  for (const d of ['outer', 'control', 'data']) run('mkdir', [join(dir, d)]);
  assert.is(run('tar', ['-xzf', ipk, '-C', join(dir, 'outer')]).code, 0);
  assert.is(run('tar', ['-xzf', join(dir, 'outer/control.tar.gz'), '-C', join(dir, 'control')]).code, 0);
  assert.is(run('tar', ['-xzf', join(dir, 'outer/data.tar.gz'), '-C', join(dir, 'data')]).code, 0);
  return dir;
}

/** `tar -tv` lines as { mode string, owner, name } */
function listing(archive: string) {
  return run('tar', ['--numeric-owner', '-tvzf', archive]).out.trim().split('\n').map((l) => {
    const f = l.split(/\s+/);
    return { mode: f[0]!, owner: f[1]!, name: f[f.length - 1]! };
  });
}

const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

let ipk = '';
let dir = '';

test.before(() => {
  ipk = build(join(tmp, 'out'));
  dir = unpack(ipk);
});

test.after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

test('is named wanpulse_<version>-r<release>_all.ipk and is a gzip\'d tar of the three opkg members', () => {
  assert.ok(existsSync(ipk));
  assert.equal(listing(ipk).map((e) => e.name), ['./debian-binary', './data.tar.gz', './control.tar.gz']);
  assert.is(readFileSync(join(dir, 'outer/debian-binary'), 'utf8'), '2.0\n');
});

test('installs every file at its router path with the mode OpenWrt expects, owned by root', () => {
  const files = Object.fromEntries(listing(join(dir, 'outer/data.tar.gz')).map((e) => [e.name, e]));
  const expected: Record<string, string> = {
    './usr/share/wanpulse/wanpulse.js': '-rw-r--r--',
    './usr/share/wanpulse/package.json': '-rw-r--r--',
    './usr/sbin/wanpulse': '-rwxr-xr-x',
    './etc/init.d/wanpulse': '-rwxr-xr-x',
    './etc/config/wanpulse': '-rw-------',
    './etc/uci-defaults/90-wanpulse': '-rw-r--r--',
    './usr/share/rpcd/ucode/wanpulse.uc': '-rw-r--r--',
    './usr/share/rpcd/acl.d/wanpulse.json': '-rw-r--r--',
  };
  for (const [name, mode] of Object.entries(expected)) {
    assert.ok(files[name], `${name} is in the package`);
    assert.is(files[name]!.mode, mode, name);
  }
  for (const e of Object.values(files)) {
    assert.is(e.owner, '0/0', `${e.name} owned by root`);
    if (e.name.endsWith('/')) assert.is(e.mode, 'drwxr-xr-x', e.name);
    else assert.ok(e.name in expected, `unexpected file ${e.name}`);
  }
  // the payload is the bundle given, and the init script is the repository's init.d/wanpulse
  assert.is(readFileSync(join(dir, 'data/usr/share/wanpulse/wanpulse.js'), 'utf8'), readFileSync(stub, 'utf8'));
  assert.is(readFileSync(join(dir, 'data/etc/init.d/wanpulse'), 'utf8'), readFileSync(join(root, 'init.d/wanpulse'), 'utf8'));
});

test('control file names the package, version, dependencies and size opkg needs', () => {
  const control = readFileSync(join(dir, 'control/control'), 'utf8');
  const field = (k: string) => new RegExp(`^${k}: (.*)$`, 'm').exec(control)?.[1];
  assert.is(field('Package'), 'wanpulse');
  assert.is(field('Version'), `${version}-r${release}`);
  assert.is(field('Architecture'), 'all');
  assert.is(field('License'), 'GPL-2.0-only');
  assert.is(field('Section'), 'net');
  const depends = field('Depends')!.split(/,\s*/);
  assert.ok(depends.includes('fping'), 'fping is a dependency');
  assert.not.ok(depends.includes('mwan3'), 'mwan3 is recommended, not required');
  assert.not.ok(depends.some((d) => /tjs|txiki/.test(d)), 'no dependency on a runtime package that is not in the feeds');
  // Installed-Size as OpenWrt's ipkg-build computes it: the uncompressed data archive
  const dataSize = run('sh', ['-c', `gzip -dc '${join(dir, 'outer/data.tar.gz')}' | wc -c`]).out.trim();
  assert.is(field('Installed-Size'), dataSize);
  assert.match(control, /^Description: \S.*\n( \S.*\n)+$/m);
});

test('keeps /etc/config/wanpulse across upgrades (conffiles)', () => {
  assert.is(readFileSync(join(dir, 'control/conffiles'), 'utf8'), '/etc/config/wanpulse\n');
});

test('maintainer scripts: default_postinst/default_prerm wrappers plus the feed Makefile\'s own parts', () => {
  const modes = Object.fromEntries(listing(join(dir, 'outer/control.tar.gz')).map((e) => [e.name, e.mode]));
  for (const s of ['postinst', 'prerm', 'postinst-pkg', 'prerm-pkg', 'postrm']) assert.is(modes[`./${s}`], '-rwxr-xr-x', s);
  const script = (s: string) => readFileSync(join(dir, 'control', s), 'utf8');
  assert.match(script('postinst'), /default_postinst "\$0" "\$@"/);
  assert.match(script('postinst'), /IPKG_NO_SCRIPT/);
  assert.match(script('prerm'), /default_prerm "\$0" "\$@"/);
  // removal hands every interface back even when the daemon is already dead
  assert.match(script('prerm-pkg'), /\/etc\/init\.d\/wanpulse stop/);
  assert.match(script('prerm-pkg'), /\/usr\/sbin\/wanpulse handback/);
  assert.match(script('postinst-pkg'), /rpcd restart/);
  // nothing runs against the build host when installing into an image root
  for (const s of ['postinst-pkg', 'prerm-pkg', 'postrm']) assert.match(script(s), /-z "\$\{IPKG_INSTROOT\}"/, s);
  // make's $$ must not leak into the shell scripts
  for (const s of ['postinst-pkg', 'prerm-pkg', 'postrm']) assert.not.match(script(s), /\$\$/, s);
});

test('two builds of the same tree are byte-identical; the timestamp follows SOURCE_DATE_EPOCH', () => {
  const a = build(join(tmp, 'a'));
  const b = build(join(tmp, 'b'));
  assert.is(sha256(a), sha256(b));
  const c = build(join(tmp, 'c'), [], { SOURCE_DATE_EPOCH: '1700000000' });
  const d = build(join(tmp, 'd'), [], { SOURCE_DATE_EPOCH: '1700000000' });
  assert.is(sha256(c), sha256(d));
  const mtime = run('tar', ['--full-time', '-tvzf', c]).out;
  assert.match(mtime, /2023-11-14 22:13:20/);
});

test('BusyBox tar (what a router has) unpacks it too', () => {
  const out = mkdtempSync(join(tmp, 'bb-'));
  assert.is(run(program('busybox'), ['tar', '-xzf', ipk, '-C', out]).code, 0);
  assert.is(run(program('busybox'), ['tar', '-xzf', join(out, 'data.tar.gz'), '-C', out]).code, 0);
  assert.ok(statSync(join(out, 'usr/sbin/wanpulse')).mode & 0o100);
});

test('--feed copies the bundle where the feed Makefile picks it up', () => {
  const feedCopy = join(tmp, 'feed');
  cpSync(feedDir, feedCopy, { recursive: true, dereference: true });
  rmSync(join(feedCopy, 'files/usr/share/wanpulse/wanpulse.js'), { force: true });
  build(join(tmp, 'feed-out'), ['--feed', '--feed-dir', feedCopy]);
  assert.is(readFileSync(join(feedCopy, 'files/usr/share/wanpulse/wanpulse.js'), 'utf8'), readFileSync(stub, 'utf8'));
});

test('refuses to build when the feed Makefile and package.json disagree on the version', () => {
  const feedCopy = join(tmp, 'feed-bad');
  cpSync(feedDir, feedCopy, { recursive: true, dereference: true });
  const mk = join(feedCopy, 'Makefile');
  writeFileSync(mk, readFileSync(mk, 'utf8').replace(/^PKG_VERSION:=.*$/m, 'PKG_VERSION:=9.9.9'));
  const r = run(process.execPath, [join(root, 'build/package.mjs'), '--bundle', stub, '--out', join(tmp, 'bad-out'), '--feed-dir', feedCopy]);
  assert.is(r.code, 1);
  assert.match(r.err, /PKG_VERSION 9\.9\.9.*package\.json/);
  assert.not.ok(existsSync(join(tmp, 'bad-out', ipkName)));
});

test('the installed launcher runs the bundle with node as an ES module when there is no tjs', () => {
  const bin = join(dir, 'data/usr/sbin/wanpulse');
  const bundle = join(dir, 'data/usr/share/wanpulse/wanpulse.js');
  const r = run(program('busybox'), ['sh', bin, 'status', '--json'], { WANPULSE_BUNDLE: bundle, WANPULSE_RUNTIME: process.execPath });
  assert.is(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).argv, ['status', '--json']);
});

test('the launcher prefers tjs: `tjs run <bundle> args…` with TJS_HOME on tmpfs', () => {
  const fakeBin = mkdtempSync(join(tmp, 'bin-'));
  writeFileSync(join(fakeBin, 'tjs'), '#!/bin/sh\nprintf "%s|" "$@"; echo "TJS_HOME=$TJS_HOME"\n', { mode: 0o755 });
  const bin = join(dir, 'data/usr/sbin/wanpulse');
  const r = run(program('busybox'), ['sh', bin, 'run', '--run-dir', '/x y'], { PATH: `${fakeBin}:/usr/bin:/bin`, WANPULSE_BUNDLE: stub, TJS_HOME: '' });
  assert.is(r.code, 0, r.err);
  assert.is(r.out.trim(), `run|${stub}|run|--run-dir|/x y|TJS_HOME=/tmp/wanpulse-tjs`);
});

test('without any runtime the launcher exits 2 and says where to get txiki.js', () => {
  const emptyBin = mkdtempSync(join(tmp, 'empty-'));
  const bin = join(dir, 'data/usr/sbin/wanpulse');
  const r = run(program('busybox'), ['sh', bin, 'status'], { PATH: emptyBin, WANPULSE_BUNDLE: stub });
  assert.is(r.code, 2);
  assert.match(r.err, /no JavaScript runtime/);
  assert.match(r.err, /txiki\.js/);
  assert.match(r.err, /\/usr\/bin\/tjs/);
});

test.run();
