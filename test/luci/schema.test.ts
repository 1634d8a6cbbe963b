// The settings page's schema (generated from src/config/defaults.ts by build/luci-schema.mjs)
// is current, covers every option README.md documents for /etc/config/wanpulse, and the page
// offers every one of them. (That the page's messages equal check-config's is checked in
// Chromium by settings.test.ts.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_HEALTH, LIMITS } from '../../src/config/defaults.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const resources = join(root, 'openwrt-feed/luci-app-wanpulse/htdocs/luci-static/resources');
const settings = readFileSync(join(resources, 'view/wanpulse/settings.js'), 'utf8');
const fields = readFileSync(join(resources, 'wanpulse/fields.js'), 'utf8');

type Spec = { type: string; min?: number; max?: number; default: string };
type Schema = Record<'globals' | 'interface' | 'mqtt', Record<string, Spec>>;

/** the generated module's object, read back from its text */
function schema(): Schema {
  const text = readFileSync(join(resources, 'wanpulse/schema.js'), 'utf8');
  const m = /return baseclass\.extend\(([\s\S]*)\);\s*$/.exec(text);
  assert.ok(m, 'schema.js returns baseclass.extend({...})');
  return JSON.parse(m![1]!) as Schema;
}

/** backticked option names in the first column of the README table under `heading` */
function readmeOptions(heading: string): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(heading);
  assert.ok(start >= 0, heading);
  const table = readme.slice(start).split('\n').slice(1).join('\n').split(/\n(?=#)/)[0]!;
  return table.split('\n').filter((l) => l.startsWith('| `')).flatMap((l) => [...l.split('|')[1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!));
}

test('schema.js is what build/luci-schema.mjs generates from the current defaults', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'build/luci-schema.mjs'), '--check'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  const s = schema();
  assert.equal([s.globals.interval_ms!.min, s.globals.interval_ms!.max], [...LIMITS.intervalMs]);
  assert.is(s.globals.down!.default, String(DEFAULT_HEALTH.down));
  assert.is(s.interface.max_hold_s!.default, String(DEFAULT_HEALTH.maxHoldMs / 1000));
});

test('every option README documents is in the schema and on the settings page', () => {
  const s = schema();
  // addOptions(section, 'type', [ [ 'tab', 'name', … ], … ]) and the healthOptions() table
  const offered = new Set<string>();
  for (const block of settings.matchAll(/fields\.addOptions\(\w+, '(\w+)', \[([\s\S]*?)\n\t*\]\);/g)) {
    for (const row of block[2]!.matchAll(/^\t*\[ '\w+', '(\w+)', /gm)) offered.add(`${block[1]}.${row[1]}`);
  }
  const healthTable = /function healthOptions\([\s\S]*?\n\}/.exec(fields)![0];
  const health = [...healthTable.matchAll(/^\t*\[ '(\w+)', _\(/gm)].map((m) => m[1]!);
  assert.ok(health.length >= 13, health.join(' '));
  assert.match(settings, /fields\.healthOptions\(s, 'globals', tabs\)/);
  assert.match(settings, /fields\.healthOptions\(u, 'interface', probingTabs\)/);
  const has = (section: string, name: string) => offered.has(`${section}.${name}`) || (section !== 'mqtt' && health.includes(name));
  const sections: [keyof Schema, string][] = [['globals', "### `config globals 'globals'`"], ['interface', "### `config interface '<name>'`"], ['mqtt', "### `config mqtt 'mqtt'`"]];
  for (const [section, heading] of sections) {
    const names = readmeOptions(heading);
    assert.ok(names.length > 5, `${heading}: ${names.join(' ')}`);
    if (process.env.VERBOSE) console.log(section, names.join(' '));
    for (const n of names) {
      assert.ok(s[section][n], `schema has ${section}.${n}`);
      assert.ok(has(section, n), `settings page offers ${section}.${n}`);
    }
  }
});

test('the views use only LuCI modules of its documented client API (and their own)', () => {
  const allowed = new Set(['baseclass', 'view', 'form', 'rpc', 'uci', 'poll', 'ui', 'dom', 'wanpulse.common', 'wanpulse.graph', 'wanpulse.checks', 'wanpulse.schema', 'wanpulse.fields']);
  for (const f of ['view/wanpulse/status.js', 'view/wanpulse/settings.js', 'view/status/include/70_wanpulse.js', 'wanpulse/common.js', 'wanpulse/graph.js', 'wanpulse/checks.js', 'wanpulse/schema.js', 'wanpulse/fields.js']) {
    const text = readFileSync(join(resources, f), 'utf8');
    assert.match(text, /^'use strict';\n/, `${f} starts with 'use strict'`);
    for (const m of text.matchAll(/^'require ([\w.]+)(?: as \w+)?';$/gm)) assert.ok(allowed.has(m[1]!), `${f}: require ${m[1]}`);
    assert.not.match(text, /\bfetch\(|XMLHttpRequest|L\.Request|\bfs\.exec/, `${f}: data only through rpc`);
  }
});

test.run();
