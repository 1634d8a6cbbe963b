// The daemon's bundle stays lean: setup and status are their own files, loaded only when
// `wanpulse setup` or `wanpulse status` runs. Then the built setup file does a dry run on the real file system with the real `wg`:
// key files 0600 in a 0700 directory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyBatch, parsePackage, serialize, type Packages } from '../../src/setup/uci-model.ts';
import { fixture, PACKAGES } from './harness.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const built = spawnSync(process.execPath, [join(root, 'build/bundle.mjs')], { encoding: 'utf8', timeout: 120_000 });

test('build: the daemon bundle is within budget and names the setup file only as an import', () => {
  assert.is(built.status, 0, built.stderr + built.stdout);
  const daemon = readFileSync(join(root, 'dist/wanpulse.js'), 'utf8');
  const setup = readFileSync(join(root, 'dist/wanpulse-setup.js'), 'utf8');
  assert.ok(daemon.length <= 150 * 1024, `${daemon.length} bytes`);
  assert.match(daemon, /import\("\.\/wanpulse-setup\.js"\)/);
  // strings only setup code has
  for (const s of ['wp_balanced', 'only one uplink', 'wpx_', 'MASQUERADE']) {
    assert.not.ok(daemon.includes(s), `daemon bundle contains setup code (${s})`);
    assert.ok(setup.includes(s), `setup file lacks ${s}`);
  }
});

test('`wanpulse status` is its own chunk too, loaded on demand', () => {
  const daemon = readFileSync(join(root, 'dist/wanpulse.js'), 'utf8');
  assert.match(daemon, /import\("\.\/wanpulse-status\.js"\)/);
  const dir = mkdtempSync(join(tmpdir(), 'wpstatus-'));
  try {
    const missing = spawnSync(process.execPath, [join(root, 'dist/wanpulse.js'), 'status', '--run-dir', dir], { encoding: 'utf8', timeout: 20_000 });
    assert.is(missing.status, 3, missing.stderr);
    assert.match(missing.stderr, /no status at .*status\.json: is the daemon running\?/);
    writeFileSync(join(dir, 'status.json'), '{"version":1,"uplinks":[{"iface":7}]}\n');
    const odd = spawnSync(process.execPath, [join(root, 'dist/wanpulse.js'), 'status', '--run-dir', dir], { encoding: 'utf8', timeout: 20_000 });
    assert.is(odd.status, 3);
    assert.match(odd.stderr, /has an unexpected shape/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the bundle loads setup on demand: `wanpulse setup --help`', () => {
  const r = spawnSync(process.execPath, [join(root, 'dist/wanpulse.js'), 'setup', '--help'], { encoding: 'utf8', timeout: 20_000 });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /usage: wanpulse setup \[DESCRIPTION\]/);
});

test('the .ipk ships the setup file beside the bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wpsetup-ipk-'));
  try {
    const r = spawnSync(process.execPath, [join(root, 'build/package.mjs'), '--out', dir], { encoding: 'utf8', timeout: 120_000 });
    assert.is(r.status, 0, r.stderr + r.stdout);
    const ipk = spawnSync('sh', ['-c', `cd ${dir} && tar xzf wanpulse_*.ipk && tar tzf data.tar.gz`], { encoding: 'utf8' });
    assert.is(ipk.status, 0, ipk.stderr);
    assert.match(ipk.stdout, /^\.\/usr\/share\/wanpulse\/wanpulse\.js$/m);
    assert.match(ipk.stdout, /^\.\/usr\/share\/wanpulse\/wanpulse-setup\.js$/m);
    assert.match(ipk.stdout, /^\.\/usr\/share\/wanpulse\/wanpulse-status\.js$/m);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

const wg = spawnSync('sh', ['-c', 'command -v wg'], { encoding: 'utf8' }).stdout.trim();

test('a dry run on the real file system: 0600 scripts in a 0700 directory, real keys', () => {
  if (!wg) { console.log('SKIP: wg (wireguard-tools) is not installed'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'wpsetup-'));
  try {
    cpSync(join(root, 'test/setup/fixtures/fresh'), join(dir, 'config'), { recursive: true });
    writeFileSync(join(dir, 'setup.conf'), fixture('two-uplinks.conf'));
    const r = spawnSync(process.execPath, [join(root, 'dist/wanpulse.js'), 'setup', join(dir, 'setup.conf'), '--out', join(dir, 'out'), '--config-dir', join(dir, 'config')], { encoding: 'utf8', timeout: 30_000 });
    assert.is(r.status, 0, r.stderr);
    assert.is(statSync(join(dir, 'out')).mode & 0o777, 0o700);
    for (const f of ['main.uci', 'wg0.uci', 'wg1.uci']) assert.is(statSync(join(dir, 'out', f)).mode & 0o777, 0o600, f);
    const keys = [...readFileSync(join(dir, 'out/main.uci'), 'utf8').matchAll(/private_key='([^']+)'/g)].map((m) => m[1]!);
    assert.is(keys.length, 2);
    for (const k of keys) {
      const pub = spawnSync(wg, ['pubkey'], { input: `${k}\n`, encoding: 'utf8' }).stdout.trim();
      assert.ok(readFileSync(join(dir, 'out/wg0.uci'), 'utf8').includes(pub) || readFileSync(join(dir, 'out/wg1.uci'), 'utf8').includes(pub), 'the uplink router knows the main key by its public key');
      assert.not.ok(r.stdout.includes(k) || r.stderr.includes(k));
    }
    // apply the main script to the config dir (the project's batch model) and run check-config
    const pkgs: Packages = new Map();
    for (const p of PACKAGES) pkgs.set(p, parsePackage(readFileSync(join(dir, 'config', p), 'utf8'), p));
    assert.equal(applyBatch(pkgs, readFileSync(join(dir, 'out/main.uci'), 'utf8')).errors, []);
    for (const p of PACKAGES) writeFileSync(join(dir, 'config', p), serialize(pkgs.get(p)!));
    const cc = spawnSync(process.execPath, [join(root, 'dist/wanpulse.js'), 'check-config', '--config-dir', join(dir, 'config')], { encoding: 'utf8', timeout: 20_000 });
    assert.is(cc.status, 0, cc.stderr + cc.stdout);
    assert.match(cc.stdout, /configuration OK: backend mwan3, 3 tracked interface\(s\): wan \[[^\]]+\], wg0 \[10\.91\.1\.1 1\.1\.1\.1 9\.9\.9\.9\], wg1 \[10\.91\.2\.1 1\.1\.1\.1 9\.9\.9\.9\]/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
