// The rpcd ucode plugin (`ubus call wanpulse status|interface`) and its ACL.
// ucode itself is not installable here (no Debian package), so the plugin is run under Node.js:
// it is written in the subset of ucode that is also JavaScript, and ucode's built-ins it uses
// (readfile, json, type, length, index, int, time, UBUS_STATUS_*) are provided with ucode's
// semantics. This checks the handlers' behaviour and the signature object rpcd registers;
// it cannot prove that the real ucode compiler accepts the file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const files = join(root, 'openwrt-feed/net/wanpulse/files');
const source = readFileSync(join(files, 'usr/share/rpcd/ucode/wanpulse.uc'), 'utf8');

const UBUS_STATUS_INVALID_ARGUMENT = 2;
const UBUS_STATUS_NOT_FOUND = 4;

type Handler = { args?: Record<string, unknown>; call: (req: unknown) => unknown };
type Signature = Record<string, Record<string, Handler>>;

/** Loads the plugin with a fake file system (path → content) and clock (epoch seconds). */
function load(fsFiles: Record<string, string>, nowS = 1_700_000_100): Signature {
  const importLine = /^import \{ readfile \} from 'fs';$/m;
  assert.match(source, importLine, 'imports readfile from the fs module');
  const body = source.replace(importLine, '');
  const ucodeType = (v: unknown) => {
    if (v === null || v === undefined) return null;
    if (Array.isArray(v)) return 'array';
    if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'double';
    if (typeof v === 'boolean') return 'bool';
    return typeof v; // 'string' | 'object' | 'function'
  };
  const builtins: Record<string, unknown> = {
    readfile: (p: string) => (p in fsFiles ? fsFiles[p] : null),
    json: (s: string) => JSON.parse(s),
    type: ucodeType,
    length: (v: unknown) => (typeof v === 'string' || Array.isArray(v) ? v.length : v && typeof v === 'object' ? Object.keys(v).length : null),
    index: (s: string, needle: string) => (typeof s === 'string' ? s.indexOf(needle) : -1),
    int: (v: number) => Math.trunc(Number(v)),
    time: () => nowS,
    UBUS_STATUS_INVALID_ARGUMENT,
    UBUS_STATUS_NOT_FOUND,
  };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const fn = new Function(...Object.keys(builtins), body) as (...a: unknown[]) => Signature;
  return fn(...Object.values(builtins));
}

function request(args: Record<string, unknown> = {}) {
  const req = { args, errorCode: null as number | null, error(code: number) { req.errorCode = code; return null; } };
  return req;
}

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

test('registers ubus object `wanpulse` with `status` and `interface {name: string}`', () => {
  const sig = load({});
  assert.equal(Object.keys(sig), ['wanpulse']);
  assert.equal(Object.keys(sig.wanpulse!).sort(), ['interface', 'status']);
  assert.equal(sig.wanpulse!.interface!.args, { name: 'name' });
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
});

test('ACL grants read access to exactly the plugin\'s two methods', () => {
  const acl = JSON.parse(readFileSync(join(files, 'usr/share/rpcd/acl.d/wanpulse.json'), 'utf8'));
  assert.equal(Object.keys(acl), ['wanpulse']);
  assert.type(acl.wanpulse.description, 'string');
  assert.equal(acl.wanpulse.read.ubus, { wanpulse: ['status', 'interface'] });
  assert.is(acl.wanpulse.write, undefined);
});

test.run();
