// luci-app-wanpulse's settings page in headless Chromium under the stand-in LuCI runtime: it
// loads /etc/config/wanpulse (the package's shipped file), offers overrides exactly for the
// interfaces mwan3 tracks, shows for every bad value the message `wanpulse check-config` prints
// (compared against the real check-config on the same values), refuses to apply what
// check-config refuses, and saves the right UCI changes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseUci } from '../../src/config/uci.ts';
import { browserUnavailable, launch, type Browser } from './browser.ts';
import { MAIN, MWAN3, NETWORK, waitFor } from './daemon-run.ts';
import { serveLuci, type LuciServer } from './server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SHIPPED = join(root, 'openwrt-feed/net/wanpulse/files/etc/config/wanpulse');
const EXTRA_MWAN3 = `
config interface 'wan3'
	option enabled '0'
	list track_ip '10.211.3.2'

config interface 'wan4'
	option enabled '1'
`;

function configDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wanpulse-luci-settings-'));
  copyFileSync(SHIPPED, join(dir, 'wanpulse'));
  writeFileSync(join(dir, 'mwan3'), MWAN3 + EXTRA_MWAN3);
  writeFileSync(join(dir, 'network'), NETWORK);
  return dir;
}

function checkConfig(dir: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'check-config', '--config-dir', dir], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** option → message of check-config's errors for `section` ("globals 'globals'", "mqtt 'mqtt'") */
function errorsOf(out: string, section: string): Record<string, string> {
  const res: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const m = new RegExp(`^\\S+: error: ${section.replace(/'/g, "'")}: ((\\w+)\\b.*)$`).exec(line);
    if (m) res[m[2]!] = m[1]!;
  }
  return res;
}

const field = (sid: string, opt: string) => `[id="widget.cbid.wanpulse.${sid}.${opt}"]`;

async function fill(b: Browser, sid: string, values: Record<string, string>) {
  for (const [opt, v] of Object.entries(values)) {
    const sel = field(sid, opt);
    await b.page.fill(sel, v);
    await b.page.dispatchEvent(sel, 'change');
  }
}

async function shown(b: Browser, sid: string, opts: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const opt of opts) out[opt] = (await b.page.textContent(`[id="cbi-wanpulse-${sid}-${opt}-error"]`)) ?? '';
  return out;
}

/** Puts the values into the section of the shipped file and runs the real check-config. */
function cliMessages(values: Record<string, string>, sectionHeader: string, label: string) {
  const dir = configDir();
  try {
    const text = readFileSync(join(dir, 'wanpulse'), 'utf8');
    const lines = Object.entries(values).map(([k, v]) => `\toption ${k} '${v}'`).join('\n');
    writeFileSync(join(dir, 'wanpulse'), text.replace(sectionHeader, `${sectionHeader}\n${lines}`));
    const r = checkConfig(dir);
    assert.is(r.code, 1, r.out);
    return errorsOf(r.out, label);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let server: LuciServer | null = null;
let b: Browser | null = null;
let dir = '';

async function open(): Promise<Browser> {
  await b?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = configDir();
  server = await serveLuci({ runDir: join(dir, 'run'), configDir: dir });
  b = await launch();
  await b.page.goto(`${server.url}/?view=wanpulse/settings`);
  await b.page.waitForSelector('body[data-view-ready]');
  return b;
}

const skip = await browserUnavailable();

test.after(async () => {
  await b?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('loads the shipped /etc/config/wanpulse and offers overrides for exactly the interfaces mwan3 tracks', async () => {
  if (skip) { console.log(`SKIP: LuCI settings test skipped because ${skip}`); return; }
  const p = (await open()).page;
  assert.equal(b!.errors, []);
  assert.is(await p.isChecked(field('globals', 'enabled')), false, "shipped enabled '0'");
  assert.is(await p.getAttribute(field('globals', 'interval_ms'), 'placeholder'), '200');
  assert.is(await p.inputValue(field('globals', 'backend')), '');
  assert.is(await p.textContent(`${field('globals', 'backend')} option[value=""]`), 'mwan3 (default)');
  assert.is(await p.getAttribute(field('mqtt', 'password'), 'type'), 'password');
  const uplinks = await p.evaluate(() => Array.from(document.querySelectorAll('.cbi-section[data-section]')).map((s) => s.getAttribute('data-section')));
  assert.equal(uplinks, ['globals', 'mqtt', 'wan1', 'wan2']);
  assert.match((await p.textContent('#cbi-wanpulse-globals-interval_ms'))!, /Default: 200 ms\. Range: 20 to 10000 ms\./);
});

test('every client-side message equals the one check-config prints for the same value', async () => {
  if (skip) return;
  const rounds: [string, string, string, Record<string, string>][] = [
    ['globals', "config globals 'globals'", "globals 'globals'", { interval_ms: '5', timeout_ms: '10001', down: '0', up: '1001', window: '4', failure_loss: '101', flap_window_s: '86401', max_hold_s: '-1', unknown_handback_s: '0', route_table: '253', route_metric: '4294967296', route_idle_timer_s: '0' }],
    ['globals', "config globals 'globals'", "globals 'globals'", { interval_ms: '1.5', down: 'x', window: '10 rounds', route_table: 'x', fping: 'bin/fping', failure_latency_ms: '60001' }],
    ['globals', "config globals 'globals'", "globals 'globals'", { recovery_latency_ms: '600', failure_latency_ms: '500' }],
    ['mqtt', "config mqtt 'mqtt'", "mqtt 'mqtt'", { port: '70000', keepalive_s: 'x', host: 'a b', client_id: 'a b', base_topic: 'a/#', discovery_prefix: '/x', publish_interval_s: '86401' }],
  ];
  for (const [sid, header, label, values] of rounds) {
    const page = await open();
    await fill(page, sid, values);
    const got = await shown(page, sid, Object.keys(values));
    const want = cliMessages(values, header, label);
    if ('recovery_latency_ms' in values) {
      // a pair: check-config reports it once; the page shows it at the field edited last
      assert.equal(Object.values(want), [got.failure_latency_ms], JSON.stringify({ got, want }));
    } else {
      assert.equal(got, want, `section ${sid}: ${JSON.stringify(values)}`);
    }
    assert.equal(page.errors, []);
  }
});

test('Save & Apply: check-config runs on the staged config; a refused one is not applied and says why', async () => {
  if (skip) return;
  const page = await open();
  const before = readFileSync(join(dir, 'wanpulse'), 'utf8');
  await page.page.check(field('mqtt', 'enabled'));
  await fill(page, 'mqtt', { password_file: '/nonexistent/wanpulse-password' });
  await page.page.click('.cbi-page-actions .cbi-button-apply');
  await page.page.waitForSelector('.wanpulse-refused', { timeout: 30_000 });
  const text = (await page.page.textContent('.wanpulse-refused'))!;
  assert.match(text, /\/etc\/config\/wanpulse:\d+: error: mqtt 'mqtt': password_file '\/nonexistent\/wanpulse-password' cannot be read/);
  assert.is(readFileSync(join(dir, 'wanpulse'), 'utf8'), before, 'nothing committed');
  assert.is(server!.uci.applied.length, 0);
  assert.ok(server!.calls.includes('wanpulse.check_config'));
  assert.not.ok(server!.calls.includes('uci.apply'));
});

test('Save & Apply: a valid change is checked, then committed as exactly the intended UCI changes', async () => {
  if (skip) return;
  const page = await open();
  await page.page.check(field('globals', 'enabled'));
  await fill(page, 'globals', { interval_ms: '150' });
  await page.page.click('#cbi-wanpulse-wan1 .cbi-button-add');
  await page.page.waitForSelector(field('wan1', 'interval_ms'));
  assert.is(await page.page.getAttribute(field('wan1', 'interval_ms'), 'placeholder'), '200', 'placeholder: the global value in effect');
  await fill(page, 'wan1', { interval_ms: '100', track_ip: '10.211.1.9' });
  await page.page.click('.cbi-page-actions .cbi-button-apply');
  await waitFor('applied', () => page.page.evaluate(() => document.body.getAttribute('data-applied') === '1'), 30_000);
  assert.equal(page.errors, []);
  const calls = server!.calls;
  assert.ok(calls.indexOf('wanpulse.check_config') < calls.indexOf('uci.apply'), calls.join(' '));
  assert.equal(server!.uci.applied[0]!.map((c) => [c.op, c.section, c.values ?? c.options ?? null]), [
    // enabled on = its default: the shipped `option enabled '0'` is removed, as LuCI's flags do
    ['add', 'wan1', {}],
    ['set', 'globals', { interval_ms: '150' }],
    ['delete', 'globals', ['enabled']],
    ['delete', 'mqtt', ['enabled']], // '0' = its default, removed likewise
    ['set', 'wan1', { interval_ms: '100', track_ip: ['10.211.1.9'] }],
  ]);
  const parsed = parseUci(readFileSync(join(dir, 'wanpulse'), 'utf8'), 'wanpulse');
  const sec = (name: string) => parsed.sections.find((s) => s.name === name)!;
  assert.is(sec('globals').options.get('interval_ms')!.values[0]!.value, '150');
  assert.not.ok(sec('globals').options.has('enabled'));
  assert.not.ok(sec('globals').options.has('backend'), 'defaults stay unset');
  assert.is(sec('wan1').type, 'interface');
  assert.equal(sec('wan1').options.get('track_ip')!.values.map((v) => v.value), ['10.211.1.9']);
  const r = checkConfig(dir);
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /wan1 \[10\.211\.1\.9\]/);
});

test.run();
