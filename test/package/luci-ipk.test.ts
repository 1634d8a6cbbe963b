// `npm run package` also builds luci-app-wanpulse_<version>-r<release>_all.ipk: unpacked with the
// standard tar and checked as opkg and LuCI would see it (files, modes, control fields, maintainer
// scripts), and its ACL grants exactly the ubus methods and UCI configs the views use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const appDir = join(root, 'openwrt-feed/luci-app-wanpulse');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
const release = /^PKG_RELEASE:=(\d+)$/m.exec(readFileSync(join(appDir, 'Makefile'), 'utf8'))?.[1];
const tmp = mkdtempSync(join(tmpdir(), `wanpulse-luci-ipk-${process.pid}-`));
const run = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout ?? '', err: r.stderr ?? '' };
};

let ipk = '';
let dir = '';
const listing = (archive: string) => run('tar', ['--numeric-owner', '-tvzf', archive]).out.trim().split('\n').map((l) => {
  const f = l.split(/\s+/);
  return { mode: f[0]!, owner: f[1]!, name: f[f.length - 1]! };
});

test.before(() => {
  const stub = join(tmp, 'stub.js');
  writeFileSync(stub, 'export {};\n');
  const r = run(process.execPath, [join(root, 'build/package.mjs'), '--bundle', stub, '--out', join(tmp, 'out')]);
  assert.is(r.code, 0, r.err + r.out);
  ipk = join(tmp, 'out', `luci-app-wanpulse_${version}-r${release}_all.ipk`);
  dir = join(tmp, 'x');
  for (const d of ['outer', 'control', 'data']) run('mkdir', ['-p', join(dir, d)]);
  assert.is(run('tar', ['-xzf', ipk, '-C', join(dir, 'outer')]).code, 0);
  assert.is(run('tar', ['-xzf', join(dir, 'outer/control.tar.gz'), '-C', join(dir, 'control')]).code, 0);
  assert.is(run('tar', ['-xzf', join(dir, 'outer/data.tar.gz'), '-C', join(dir, 'data')]).code, 0);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('holds the views under /www and the menu and ACL under /usr/share, 0644, owned by root', () => {
  assert.ok(existsSync(ipk));
  assert.equal(listing(ipk).map((e) => e.name), ['./debian-binary', './data.tar.gz', './control.tar.gz']);
  const files = listing(join(dir, 'outer/data.tar.gz'));
  const res = './www/luci-static/resources/';
  const expected = [
    `${res}view/status/include/70_wanpulse.js`, `${res}view/wanpulse/settings.js`, `${res}view/wanpulse/status.js`,
    `${res}wanpulse/checks.js`, `${res}wanpulse/common.js`, `${res}wanpulse/fields.js`, `${res}wanpulse/graph.js`, `${res}wanpulse/schema.js`,
    './usr/share/luci/menu.d/luci-app-wanpulse.json', './usr/share/rpcd/acl.d/luci-app-wanpulse.json',
  ];
  assert.equal(files.filter((e) => !e.name.endsWith('/')).map((e) => e.name).sort(), expected.sort());
  for (const e of files) {
    assert.is(e.owner, '0/0', e.name);
    assert.is(e.mode, e.name.endsWith('/') ? 'drwxr-xr-x' : '-rw-r--r--', e.name);
  }
  for (const f of expected) assert.is(readFileSync(join(dir, 'data', f), 'utf8'), readFileSync(join(appDir, f.startsWith('./www/') ? `htdocs/${f.slice(6)}` : `root/${f.slice(2)}`), 'utf8'), f);
});

test('control: name, version, architecture, section, and it depends on wanpulse and luci-base', () => {
  const control = readFileSync(join(dir, 'control/control'), 'utf8');
  const field = (k: string) => new RegExp(`^${k}: (.*)$`, 'm').exec(control)?.[1];
  assert.is(field('Package'), 'luci-app-wanpulse');
  assert.is(field('Version'), `${version}-r${release}`);
  assert.is(field('Architecture'), 'all');
  assert.is(field('Section'), 'luci');
  assert.is(field('License'), 'GPL-2.0-only');
  const depends = field('Depends')!.split(/,\s*/);
  assert.ok(depends.includes('wanpulse'));
  assert.ok(depends.includes('luci-base'));
  const dataSize = run('sh', ['-c', `gzip -dc '${join(dir, 'outer/data.tar.gz')}' | wc -c`]).out.trim();
  assert.is(field('Installed-Size'), dataSize);
  assert.match(control, /^Description: LuCI support for wanpulse.*\n .+\n$/m);
});

test('maintainer scripts drop LuCI\'s caches and reload rpcd, never inside an image build; shellcheck passes', () => {
  for (const s of ['postinst', 'prerm', 'postinst-pkg', 'postrm']) assert.ok(existsSync(join(dir, 'control', s)), s);
  const post = readFileSync(join(dir, 'control/postinst-pkg'), 'utf8');
  assert.match(post, /-z "\$\{IPKG_INSTROOT\}"/);
  assert.match(post, /rm -rf \/tmp\/luci-modulecache\//);
  assert.match(post, /\/etc\/init\.d\/rpcd reload/);
  const sc = run('shellcheck', ['-s', 'sh', join(dir, 'control/postinst-pkg'), join(dir, 'control/postrm')]);
  if (sc.code === null) console.log('SKIP: shellcheck is not installed');
  else assert.is(sc.code, 0, sc.out + sc.err);
});

test('ACL grants exactly the ubus methods the views declare and the UCI configs they read and write', () => {
  const acl = JSON.parse(readFileSync(join(appDir, 'root/usr/share/rpcd/acl.d/luci-app-wanpulse.json'), 'utf8'));
  assert.equal(Object.keys(acl), ['luci-app-wanpulse']);
  const g = acl['luci-app-wanpulse'];
  const js = ['view/wanpulse/status.js', 'view/wanpulse/settings.js', 'view/status/include/70_wanpulse.js', 'wanpulse/common.js']
    .map((f) => readFileSync(join(appDir, 'htdocs/luci-static/resources', f), 'utf8')).join('\n');
  const declared = [...js.matchAll(/rpc\.declare\(\{ object: '(\w+)', method: '(\w+)'/g)].map((m) => `${m[1]}.${m[2]}`).sort();
  assert.equal(declared, ['wanpulse.check_config', 'wanpulse.history', 'wanpulse.status']);
  const granted = [...Object.entries(g.read.ubus as Record<string, string[]>), ...Object.entries(g.write.ubus as Record<string, string[]>)]
    .flatMap(([o, ms]) => ms.map((m) => `${o}.${m}`)).sort();
  assert.equal(granted, declared);
  assert.equal(g.write.ubus, { wanpulse: ['check_config'] }, 'the method that runs a program needs write access');
  const loaded = [...new Set([...js.matchAll(/uci\.load\('(\w+)'\)/g)].map((m) => m[1]))].sort();
  assert.equal([...g.read.uci].sort(), loaded);
  assert.equal(g.write.uci, ['wanpulse']);
});

test('menu entries point at the packaged views and need the ACL and the wanpulse config', () => {
  const menu = JSON.parse(readFileSync(join(appDir, 'root/usr/share/luci/menu.d/luci-app-wanpulse.json'), 'utf8')) as Record<string, { action: { type: string; path: string }; depends: { acl: string[]; uci: Record<string, boolean> } }>;
  assert.equal(Object.keys(menu).sort(), ['admin/network/wanpulse', 'admin/status/wanpulse']);
  for (const e of Object.values(menu)) {
    assert.is(e.action.type, 'view');
    assert.ok(existsSync(join(dir, 'data/www/luci-static/resources/view', `${e.action.path}.js`)), e.action.path);
    assert.equal(e.depends.acl, ['luci-app-wanpulse']);
    assert.equal(e.depends.uci, { wanpulse: true });
  }
});

test.run();
