// luci-app-wanpulse's translations: the template holds every _() string of the views, the
// German catalogue translates every one of them (non-empty, same placeholders), has nothing
// stale, and gettext's msgfmt accepts it (as the SDK's po2lmo step needs well-formed files).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appDir, nonLiteralCalls, parsePo, potPath, renderPot, translatableStrings } from '../../build/luci-i18n.mjs';

const dePath = join(appDir, 'po/de/wanpulse.po');
const strings = translatableStrings();
const pot = parsePo(readFileSync(potPath, 'utf8'));
const de = parsePo(readFileSync(dePath, 'utf8'));
const placeholders = (s: string) => (s.match(/%(\.\d+)?[sdf%]/g) ?? []).join(' ');

test('the views use translatable strings only as literals, and there are many', () => {
  assert.equal(nonLiteralCalls(), []);
  assert.ok(strings.size > 150, `${strings.size} strings`);
});

test('po/templates/wanpulse.pot is current (node build/luci-i18n.mjs regenerates it)', () => {
  assert.is(readFileSync(potPath, 'utf8'), renderPot());
  for (const s of strings.keys()) assert.ok(pot.has(s), `in the template: ${s}`);
});

test('every string has a non-empty German translation with the same placeholders', () => {
  const missing = [...strings.keys()].filter((s) => !de.get(s));
  assert.equal(missing, [], 'untranslated');
  for (const [id, str] of de) assert.is(placeholders(str), placeholders(id), `placeholders of "${id}"`);
  const stale = [...de.keys()].filter((s) => !strings.has(s));
  assert.equal(stale, [], 'no stale entries');
});

test('menu titles are translatable strings too', () => {
  const menu = JSON.parse(readFileSync(join(appDir, 'root/usr/share/luci/menu.d/luci-app-wanpulse.json'), 'utf8')) as Record<string, { title: string }>;
  for (const e of Object.values(menu)) assert.ok(de.get(e.title), e.title);
});

test('msgfmt accepts the catalogue, format strings included', () => {
  const r = spawnSync('msgfmt', ['--check-format', '-o', '/dev/null', dePath], { encoding: 'utf8' });
  if (r.error) { console.log('SKIP: msgfmt (Debian package gettext) is not installed'); return; }
  assert.is(r.status, 0, r.stderr);
});

test.run();
