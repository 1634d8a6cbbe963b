// The rpcd ucode plugin (`ubus call wanpulse status|interface`) and its ACL.
// ucode itself is not installable here (no Debian package), so the plugin is run under Node.js:
// it is written in the subset of ucode that is also JavaScript, and ucode's built-ins it uses
// (readfile, json, type, length, index, int, time, UBUS_STATUS_*) are provided with ucode's
// semantics. This checks the handlers' behaviour and the signature object rpcd registers;
// it cannot prove that the real ucode compiler accepts the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlugin, pluginSource as source, realCheckConfig, ubusRequest as request, UBUS_STATUS_INVALID_ARGUMENT, UBUS_STATUS_NOT_FOUND, type UcodeHost } from './ucode-host.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const files = join(root, 'openwrt-feed/net/wanpulse/files');
const load = (fsFiles: Record<string, string>, nowS = 1_700_000_100) => loadPlugin({ readfile: (p) => fsFiles[p] ?? null, nowS });

const snapshot = {
  version: '0.1.0',
  pid: 4242,
  backend: 'mwan3',
  startedAt: 1_700_000_000_000,
  updatedAt: 1_700_000_098_000,
  uplinks: [
    { iface: 'wan', device: 'wg0', family: 'ipv4', state: 'online', since: 1, rttMs: 12.5, jitterMs: 1, lossPct: 0, targets: [], owner: 'mwan3', reason: 'probes answered', flaps: 0 },
    { iface: 'wanb', device: 'wg1', family: 'ipv4', state: 'offline', since: 2, rttMs: null, jitterMs: null, lossPct: 100, targets: [], owner: 'wanpulse', reason: '3 rounds lost', flaps: 1 },
  ],
  lastEvent: null,
  mqtt: null,
};
const running = {
  '/var/run/wanpulse/status.json': JSON.stringify(snapshot),
  '/proc/4242/cmdline': 'tjs\0run\0/usr/share/wanpulse/wanpulse.js\0run\0',
};

test('registers ubus object `wanpulse` with status, interface {name}, history and check_config {sections}', () => {
  const sig = load({});
  assert.equal(Object.keys(sig), ['wanpulse']);
  assert.equal(Object.keys(sig.wanpulse!).sort(), ['check_config', 'history', 'interface', 'status']);
  assert.equal(sig.wanpulse!.interface!.args, { name: 'name' });
  assert.equal(sig.wanpulse!.check_config!.args, { sections: [] });
  for (const m of Object.values(sig.wanpulse!)) assert.type(m.call, 'function');
});

test('status: the daemon\'s snapshot, whether it is alive, and how old the file is', () => {
  const reply = load(running).wanpulse!.status!.call(request()) as Record<string, unknown>;
  assert.is(reply.running, true);
  assert.is(reply.age_s, 2);
  assert.is(reply.backend, 'mwan3');
  assert.equal((reply.uplinks as { iface: string }[]).map((u) => u.iface), ['wan', 'wanb']);
});

test('status: a file left by a dead daemon says running=false', () => {
  const reply = load({ '/var/run/wanpulse/status.json': JSON.stringify(snapshot), '/proc/4242/cmdline': 'dropbear\0' })
    .wanpulse!.status!.call(request()) as Record<string, unknown>;
  assert.is(reply.running, false);
  assert.is(reply.version, '0.1.0');
});

test('status: no file, or a torn one, says not running instead of failing', () => {
  const cases: Record<string, string>[] = [{}, { '/var/run/wanpulse/status.json': '{"version":' }];
  for (const fsFiles of cases) {
    const reply = load(fsFiles).wanpulse!.status!.call(request()) as Record<string, unknown>;
    assert.is(reply.running, false);
    assert.match(String(reply.error), /not running/);
  }
});

test('interface: one uplink by name; unknown names are NOT_FOUND, empty ones INVALID_ARGUMENT', () => {
  const sig = load(running);
  const reply = sig.wanpulse!.interface!.call(request({ name: 'wanb' })) as { uplink: { state: string; owner: string } };
  assert.is(reply.uplink.state, 'offline');
  assert.is(reply.uplink.owner, 'wanpulse');
  const missing = request({ name: 'wanc' });
  assert.is(sig.wanpulse!.interface!.call(missing), null);
  assert.is(missing.errorCode, UBUS_STATUS_NOT_FOUND);
  const empty = request({ name: '' });
  sig.wanpulse!.interface!.call(empty);
  assert.is(empty.errorCode, UBUS_STATUS_INVALID_ARGUMENT);
});

test('plugin avoids constructs whose meaning differs between ucode and JavaScript', () => {
  const code = source.replace(/\/\/.*$/gm, '');
  assert.not.match(code, /for\s*\(\s*(let|const)?\s*\w+\s+in\s/, 'for-in walks values in ucode but keys in JS');
  assert.not.match(code, /\?\./, 'optional chaining');
  assert.match(source, /^'use strict';$/m);
  assert.match(source, /^return \{ wanpulse: methods \};\s*$/m, 'ends by returning the signature object');
  assert.not.match(code, /\b0o[0-7]/, 'octal literal syntax differs');
  assert.not.match(code, /=>/, 'arrow functions: keep to the classic function syntax rpcd plugins use');
});

test('history: the daemon\'s history file, or an empty one that says it is not available', () => {
  const history = { v: 1, sampleMs: 2000, base: 5, uplinks: [{ iface: 'wan', t: [0], rtt: [1], loss: [0], state: 'o' }], transitions: [] };
  const reply = load({ '/var/run/wanpulse/history.json': JSON.stringify(history) }).wanpulse!.history!.call(request()) as Record<string, unknown>;
  assert.is(reply.available, true);
  assert.equal(reply.uplinks, history.uplinks);
  for (const fsFiles of [{}, { '/var/run/wanpulse/history.json': '{"v":' }] as Record<string, string>[]) {
    const none = load(fsFiles).wanpulse!.history!.call(request()) as Record<string, unknown>;
    assert.equal(none, { available: false, uplinks: [], transitions: [] });
  }
});

/** The router's /etc/config is a fixture; the plugin's private directory is real, under /tmp. */
function checkHost(): UcodeHost & { made: string[] } {
  const etc = join(root, 'test/fixtures/config/mwan3-wg');
  const made: string[] = [];
  const inTmp = (p: string) => { assert.match(p, /^\/tmp\/wanpulse-check\.[0-9.]+(\/(wanpulse|mwan3|network))?$/); return p; };
  return {
    made,
    readfile: (p) => (p.startsWith('/etc/config/') ? (existsSync(join(etc, p.slice(12))) ? readFileSync(join(etc, p.slice(12)), 'utf8') : null) : existsSync(inTmp(p)) ? readFileSync(p, 'utf8') : null),
    writefile: (p, d) => { writeFileSync(inTmp(p), d, { mode: 0o600 }); return true; },
    mkdir: (p, mode) => { assert.is(mode, 0o700); if (existsSync(inTmp(p))) return false; mkdirSync(p, { mode }); made.push(p); return true; },
    unlink: (p) => { if (!existsSync(inTmp(p))) return false; unlinkSync(p); return true; },
    rmdir: (p) => { rmdirSync(inTmp(p)); return true; },
    popen: realCheckConfig,
  };
}

const globals = (extra: Record<string, unknown>) => ({ '.type': 'globals', '.name': 'globals', '.anonymous': false, enabled: '1', backend: 'none', ...extra });

test('check_config: runs the real check-config on the staged sections and names /etc/config, not its copy', () => {
  const host = checkHost();
  const sig = loadPlugin(host);
  const good = sig.wanpulse!.check_config!.call(request({ sections: [globals({ interval_ms: '100' }), { '.type': 'mqtt', '.name': 'mqtt', enabled: '0', password: "it's \"quoted\"" }] })) as { ok: boolean; code: number; output: string };
  assert.is(good.ok, true, good.output);
  assert.match(good.output, /configuration OK/);
  const bad = sig.wanpulse!.check_config!.call(request({ sections: [globals({ interval_ms: '5', down: 'x' }), { '.type': 'interface', '.name': 'wg0', track_ip: ['1.1.1.1', 'not-an-ip'] }] })) as { ok: boolean; code: number; output: string };
  assert.is(bad.ok, false);
  assert.is(bad.code, 1);
  assert.match(bad.output, /\/etc\/config\/wanpulse:\d+: error: globals 'globals': interval_ms 5 is out of range: expected an integer from 20 to 10000 ms/);
  assert.match(bad.output, /down 'x' is not a whole number/);
  assert.not.match(bad.output, /wanpulse-check/);
  // the private copies are gone
  assert.is(host.made.length, 2);
  for (const d of host.made) assert.not.ok(existsSync(d), `${d} removed`);
  assert.not.ok(readdirSync('/tmp').some((n) => host.made.includes(`/tmp/${n}`)));
});

test('check_config: names or values that cannot be written safely are refused before anything runs', () => {
  const host = checkHost();
  host.popen = () => { throw new Error('must not run'); };
  const sig = loadPlugin(host);
  const cases: unknown[] = [
    [{ '.type': 'globals; rm', '.name': 'globals' }],
    [{ '.type': 'globals', '.name': "x' y" }],
    [globals({ 'bad-name': '1' })],
    [globals({ interval_ms: '1\noption x y' })],
    [globals({ interval_ms: { nested: 1 } })],
  ];
  for (const sections of cases) {
    const r = sig.wanpulse!.check_config!.call(request({ sections })) as { ok: boolean; output: string };
    assert.is(r.ok, false, JSON.stringify(sections));
    assert.match(r.output, /^error: /);
  }
  const notList = request({ sections: 'globals' });
  assert.is(sig.wanpulse!.check_config!.call(notList), null);
  assert.is(notList.errorCode, UBUS_STATUS_INVALID_ARGUMENT);
  assert.is(host.made.length, 0);
});

test('ACL grants read access to exactly the plugin\'s read-only methods', () => {
  const acl = JSON.parse(readFileSync(join(files, 'usr/share/rpcd/acl.d/wanpulse.json'), 'utf8'));
  assert.equal(Object.keys(acl), ['wanpulse']);
  assert.type(acl.wanpulse.description, 'string');
  assert.equal(acl.wanpulse.read.ubus, { wanpulse: ['status', 'interface', 'history'] });
  assert.is(acl.wanpulse.write, undefined);
});

test.run();
