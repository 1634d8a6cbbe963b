// /etc/uci-defaults/90-wanpulse: runs after install (default_postinst) and at first boot. It must
// add only what is missing and never change a value the user set. Run under BusyBox ash with a
// small fake `uci` that keeps "package.section[.option]=value" lines in a file.
import { program } from '../support/need.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'openwrt-feed/net/wanpulse/files/etc/uci-defaults/90-wanpulse');
const tmp = mkdtempSync(join(tmpdir(), `wanpulse-ucidef-${process.pid}-`));

test.after(() => rmSync(tmp, { recursive: true, force: true }));

const FAKE_UCI = `#!/bin/sh
[ "$1" = "-q" ] && shift
db="$UCI_DB"
case "$1" in
  get) grep -m1 "^$2=" "$db" | cut -d= -f2- | grep . || exit 1 ;;
  set) key="\${2%%=*}"; grep -v "^$key=" "$db" > "$db.new"; echo "$2" >> "$db.new"; mv "$db.new" "$db" ;;
  commit) echo "commit $2" >> "$db.log" ;;
  *) exit 1 ;;
esac
`;

/** Runs the script against a fake uci state; returns the state afterwards. */
function runWith(state: string[]): { code: number | null; state: string[]; commits: string } {
  const dir = mkdtempSync(join(tmp, 'run-'));
  writeFileSync(join(dir, 'uci'), FAKE_UCI, { mode: 0o755 });
  const db = join(dir, 'db');
  writeFileSync(db, state.map((l) => l + '\n').join(''));
  // the script touches /etc/config/wanpulse only when it is missing; run it with a path that exists
  const body = readFileSync(script, 'utf8').replace('/etc/config/wanpulse', db);
  const file = join(dir, 'script.sh');
  writeFileSync(file, body);
  const r = spawnSync(program('busybox'), ['sh', file], { env: { PATH: `${dir}:/usr/bin:/bin`, UCI_DB: db }, encoding: 'utf8', timeout: 30_000 });
  let commits = '';
  try { commits = readFileSync(db + '.log', 'utf8'); } catch { /* no commit */ }
  return { code: r.status, state: readFileSync(db, 'utf8').trim().split('\n').filter(Boolean).sort(), commits };
}

test('on an empty config it adds disabled globals and mqtt sections and commits', () => {
  const r = runWith([]);
  assert.is(r.code, 0);
  assert.equal(r.state, ['wanpulse.globals.enabled=0', 'wanpulse.globals=globals', 'wanpulse.mqtt.enabled=0', 'wanpulse.mqtt=mqtt']);
  assert.match(r.commits, /commit wanpulse/);
});

test('leaves existing sections and the user\'s values alone, and running twice changes nothing', () => {
  const user = ['wanpulse.globals=globals', 'wanpulse.globals.enabled=1', 'wanpulse.mqtt=mqtt', 'wanpulse.mqtt.enabled=1', 'wanpulse.mqtt.host=broker.lan'];
  const once = runWith(user);
  assert.is(once.code, 0);
  assert.equal(once.state, [...user].sort());
  const twice = runWith(once.state);
  assert.equal(twice.state, once.state);
});

test.run();
