// openwrt-feed/net/wanpulse/Makefile: what the OpenWrt SDK (opkg and apk) builds from it.
// No SDK here, so its install section runs under GNU make with a minimal stand-in for rules.mk
// and package.mk (the INSTALL_* macros with OpenWrt's modes), and the tree it installs is
// compared with the data of the .ipk that `npm run package` writes: both must be the same.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const feedDir = join(root, 'openwrt-feed/net/wanpulse');
const makefile = readFileSync(join(feedDir, 'Makefile'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), `wanpulse-feed-${process.pid}-`));
const stub = join(tmp, 'stub.js');
writeFileSync(stub, 'console.log("stub bundle");\n');
// the chunks the bundle imports on demand, built beside it
const CHUNKS = ['wanpulse-setup.js', 'wanpulse-status.js', 'wanpulse-node.js'];
for (const c of CHUNKS) writeFileSync(join(tmp, c), `export const chunk = ${JSON.stringify(c)};\n`);

test.after(() => rmSync(tmp, { recursive: true, force: true }));

const makeVar = (name: string) => new RegExp(`^\\s*${name}:=(.*)$`, 'm').exec(makefile)?.[1]?.trim();

function run(cmd: string, args: string[], cwd = root) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** A TOPDIR with just enough of OpenWrt's rules.mk / package.mk to run the install section. */
function fakeSdk(): string {
  const top = join(tmp, 'sdk');
  mkdirSync(join(top, 'include'), { recursive: true });
  writeFileSync(join(top, 'rules.mk'), [
    'INCLUDE_DIR:=$(TOPDIR)/include',
    'BUILD_DIR:=$(TOPDIR)/build_dir',
    // the same modes as OpenWrt's rules.mk
    'INSTALL_DIR:=install -d -m0755',
    'INSTALL_BIN:=install -m0755',
    'INSTALL_DATA:=install -m0644',
    'INSTALL_CONF:=install -m0600',
    'CP:=cp -fpR',
    '',
  ].join('\n'));
  writeFileSync(join(top, 'include/package.mk'), [
    'PKG_BUILD_DIR:=$(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)',
    'define BuildPackage',
    '$(eval $(Package/$(1)))',
    'install-root:',
    '\t$$(call Build/Prepare)',
    '\t$$(call Build/Configure)',
    '\t$$(call Build/Compile)',
    '\t$$(call Package/$(1)/install,$$(DESTDIR))',
    'show-depends:',
    '\t@echo "$$(DEPENDS)|$$(PKGARCH)|$$(SECTION)"',
    'endef',
    '',
  ].join('\n'));
  return top;
}

/** "path mode" lines of a directory tree, sorted */
function tree(dir: string): string[] {
  return run('find', ['.', '-mindepth', '1', '-printf', '%P %m\n'], dir).out.trim().split('\n').sort();
}

test('version: PKG_VERSION equals package.json; apk-valid dotted version and numeric release', () => {
  const pkgVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  assert.is(makeVar('PKG_VERSION'), pkgVersion);
  assert.match(makeVar('PKG_VERSION')!, /^\d+(\.\d+)*$/);
  assert.match(makeVar('PKG_RELEASE')!, /^\d+$/);
  assert.is(makeVar('PKG_NAME'), 'wanpulse');
  assert.is(makeVar('PKG_LICENSE'), 'GPL-2.0-only');
});

test('package definition: architecture-independent, depends on fping only, config kept as conffile', () => {
  const top = fakeSdk();
  const r = run('make', ['-s', '-C', feedDir, `TOPDIR=${top}`, 'show-depends']);
  assert.is(r.code, 0, r.err);
  assert.is(r.out.trim(), '+fping|all|net');
  assert.match(makefile, /^define Package\/wanpulse\/conffiles\n\/etc\/config\/wanpulse\nendef$/m);
});

test('the SDK install section and the .ipk install the same files with the same modes', () => {
  const top = fakeSdk();
  const dest = join(tmp, 'sdk-root');
  const r = run('make', ['-s', '-C', feedDir, `TOPDIR=${top}`, `DESTDIR=${dest}`, `WANPULSE_BUNDLE=${stub}`, 'install-root']);
  assert.is(r.code, 0, r.err + r.out);
  assert.is(readFileSync(join(dest, 'usr/share/wanpulse/wanpulse.js'), 'utf8'), readFileSync(stub, 'utf8'));
  for (const c of CHUNKS) assert.is(readFileSync(join(dest, 'usr/share/wanpulse', c), 'utf8'), readFileSync(join(tmp, c), 'utf8'), c);

  const out = join(tmp, 'ipk');
  const b = run(process.execPath, [join(root, 'build/package.mjs'), '--bundle', stub, '--out', out]);
  assert.is(b.code, 0, b.err);
  const ipk = join(out, `wanpulse_${makeVar('PKG_VERSION')}-r${makeVar('PKG_RELEASE')}_all.ipk`);
  const unpacked = join(tmp, 'ipk-root');
  mkdirSync(unpacked);
  assert.is(run('sh', ['-c', `tar -xzOf '${ipk}' ./data.tar.gz | tar -xzf - -C '${unpacked}'`]).code, 0);
  assert.equal(tree(unpacked), tree(dest));
  assert.ok(tree(dest).includes('etc/config/wanpulse 600'));
  for (const c of CHUNKS) assert.ok(tree(dest).includes(`usr/share/wanpulse/${c} 644`), c);
});

test('a bundle without the chunks it imports (setup, status) stops the SDK build, naming the missing one', () => {
  const top = fakeSdk();
  const lone = join(tmp, 'lone');
  mkdirSync(lone, { recursive: true });
  writeFileSync(join(lone, 'wanpulse.js'), 'console.log("stub bundle");\n');
  writeFileSync(join(lone, 'wanpulse-setup.js'), 'export {};\n');
  const r = run('make', ['-s', '-C', feedDir, `TOPDIR=${top}`, `DESTDIR=${join(tmp, 'lone-root')}`, `WANPULSE_BUNDLE=${join(lone, 'wanpulse.js')}`, 'install-root']);
  assert.is.not(r.code, 0);
  assert.match(r.err, /wanpulse-status\.js is missing: it is built beside the bundle/);
});

test('without a bundle the SDK build stops and says how to provide one', () => {
  const top = fakeSdk();
  const r = run('make', ['-s', '-C', feedDir, `TOPDIR=${top}`, `DESTDIR=${join(tmp, 'nowhere')}`, `WANPULSE_BUNDLE=${join(tmp, 'missing.js')}`, 'install-root']);
  assert.is.not(r.code, 0);
  assert.match(r.err, /npm run package -- --feed/);
  assert.match(r.err, /WANPULSE_BUNDLE=/);
});

test.run();
