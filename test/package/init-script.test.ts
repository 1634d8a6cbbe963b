// init.d/wanpulse (the procd service) and the other shell scripts the package installs.
// shellcheck checks them in the sh dialect; the init script's behaviour is run under BusyBox ash
// with stand-ins for what /etc/rc.common and procd.sh provide (recording procd_* calls), and a
// fake `wanpulse` program, so what procd would be told and what lands in the log can be asserted.
import { program } from '../support/need.ts';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const feedFiles = join(root, 'openwrt-feed/net/wanpulse/files');
const initScript = join(root, 'init.d/wanpulse');
const initText = readFileSync(initScript, 'utf8');
const tmp = mkdtempSync(join(tmpdir(), `wanpulse-init-${process.pid}-`));

test.after(() => rmSync(tmp, { recursive: true, force: true }));

function shellcheck(file: string) {
  const r = spawnSync(program('shellcheck'), ['-s', 'sh', file], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

/** The feed Makefile's define blocks, as the SDK writes them into shell scripts. */
function makefileScript(name: string): string {
  const mk = readFileSync(join(root, 'openwrt-feed/net/wanpulse/Makefile'), 'utf8');
  const m = new RegExp(`^define Package/wanpulse/${name}\\n([\\s\\S]*?)^endef$`, 'm').exec(mk);
  assert.ok(m, `Makefile has Package/wanpulse/${name}`);
  return m![1]!.replace(/\$\$/g, '$');
}

test('shellcheck: init script, launcher, uci-defaults and maintainer scripts are clean sh', () => {
  const files = [initScript, join(feedFiles, 'usr/sbin/wanpulse'), join(feedFiles, 'etc/uci-defaults/90-wanpulse')];
  for (const s of ['postinst', 'prerm', 'postrm']) {
    const f = join(tmp, `${s}.sh`);
    writeFileSync(f, makefileScript(s));
    files.push(f);
  }
  for (const f of files) {
    const r = shellcheck(f);
    assert.is(r.code, 0, `${f}\n${r.out}`);
  }
});

test('the feed installs this very init script (symlink into the repository\'s init.d/)', () => {
  assert.is(readFileSync(join(feedFiles, 'etc/init.d/wanpulse'), 'utf8'), initText);
});

test('follows procd conventions: USE_PROCD, order after mwan3, respawn, reload triggers, term timeout', () => {
  assert.match(initText, /^#!\/bin\/sh \/etc\/rc\.common$/m);
  assert.match(initText, /^USE_PROCD=1$/m);
  const start = Number(/^START=(\d+)$/m.exec(initText)?.[1]);
  assert.ok(start > 19, 'starts after mwan3 (START=19)');
  assert.match(initText, /procd_set_param respawn \d+ \d+ \d+/);
  assert.match(initText, /procd_add_reload_trigger wanpulse mwan3/);
  assert.match(initText, /procd_set_param term_timeout/);
  assert.match(initText, /procd_set_param reload_signal HUP/);
  assert.match(initText, /procd_set_param env TJS_HOME=\/tmp\/wanpulse-tjs/);
  assert.match(initText, /procd_set_param stdout 1/);
  assert.match(initText, /procd_set_param stderr 1/);
  // a `file` param would make procd restart on every config edit instead of sending HUP
  assert.not.match(initText, /procd_set_param file/);
});

// ---- behaviour under BusyBox ash -------------------------------------------------------------

interface Run { code: number | null; procd: string; log: string; calls: string; err: string }

/** Runs `action` of the init script. opts: UCI option values (globals), fake check-config result. */
function runInit(action: string, opts: { uci?: Record<string, string>; checkRc?: number; checkOut?: string; pid?: string; running?: boolean } = {}): Promise<Run> {
  const dir = mkdtempSync(join(tmp, 'run-'));
  const procdLog = join(dir, 'procd.log');
  const sysLog = join(dir, 'syslog');
  const calls = join(dir, 'calls');
  const runDir = join(dir, 'run');
  const prog = join(dir, 'wanpulse');
  writeFileSync(prog, [
    '#!/bin/sh',
    `echo "$* alive=$( [ -n "$WAIT_PID" ] && [ -d "/proc/$WAIT_PID" ] && echo yes || echo no)" >> '${calls}'`,
    'case "$1" in',
    `  check-config) printf '%s' "$CHECK_OUT"; exit "\${CHECK_RC:-0}" ;;`,
    '  status) echo "uplinks: wan online"; exit 0 ;;',
    'esac',
    'exit 0',
  ].join('\n'), { mode: 0o755 });
  const uciVars = Object.entries(opts.uci ?? {}).map(([k, v]) => `UCI_${k}='${v}'`).join('\n');
  const harness = [
    // stand-ins for /etc/rc.common, /lib/functions.sh and procd.sh
    'config_load() { :; }',
    'config_get() { eval "$1=\\${UCI_$3:-$4}"; }',
    'config_get_bool() { config_get "$@"; }',
    'config_foreach() { "$1" globals; }',
    `procd_open_instance() { echo "open_instance $*" >> '${procdLog}'; }`,
    `procd_set_param() { echo "param $*" >> '${procdLog}'; }`,
    `procd_close_instance() { echo "close_instance" >> '${procdLog}'; }`,
    `procd_add_reload_trigger() { echo "reload_trigger $*" >> '${procdLog}'; }`,
    `service_running() { [ -n "${opts.running ? 1 : ''}" ]; }`,
    'extra_command() { :; }',
    `logger() { echo "logger $*" >> '${sysLog}'; }`,
    'start() { start_service; }',
    'stop() { stop_service; service_stopped; }',
    `. '${initScript}'`,
    // point the script at the fakes
    `PROG='${prog}'`,
    `RUN_DIR='${runDir}'`,
    `PID_FILE='${join(dir, 'pid')}'`,
    uciVars,
    `"$@"`,
  ].join('\n');
  const harnessFile = join(dir, 'harness.sh');
  writeFileSync(harnessFile, harness);
  if (opts.pid !== undefined) writeFileSync(join(dir, 'pid'), opts.pid);
  return new Promise((resolve) => {
    const child = spawn(program('busybox'), ['sh', harnessFile, action], {
      env: { PATH: '/usr/bin:/bin', CHECK_RC: String(opts.checkRc ?? 0), CHECK_OUT: opts.checkOut ?? '', WAIT_PID: opts.pid ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stdout.on('data', (b) => { err += b; });
    child.stderr.on('data', (b) => { err += b; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');
      resolve({ code, procd: read(procdLog), log: read(sysLog), calls: read(calls), err });
    });
  });
}

test('start: a valid config starts `wanpulse run` under procd with respawn, HUP reload and a pidfile', async () => {
  const r = await runInit('start_service', { uci: { enabled: '1', backend: 'route' } });
  assert.is(r.code, 0, r.err);
  assert.match(r.calls, /^check-config --config-dir \/etc\/config/m);
  assert.match(r.procd, /open_instance/);
  assert.match(r.procd, /param command \S+\/wanpulse run --config-dir \/etc\/config --run-dir \S+\/run/);
  assert.match(r.procd, /param respawn 3600 5 5/);
  assert.match(r.procd, /param reload_signal HUP/);
  assert.match(r.procd, /param pidfile \S+\/pid/);
  assert.match(r.procd, /close_instance/);
});

test('start: config errors keep it from starting and every problem goes to the log', async () => {
  const problems = "/etc/config/wanpulse:12: option interval_ms: '5' is below 20\n/etc/config/wanpulse:20: unknown option 'colour'\n";
  const r = await runInit('start_service', { uci: { enabled: '1', backend: 'route' }, checkRc: 1, checkOut: problems });
  assert.not.match(r.procd, /open_instance/);
  assert.match(r.log, /daemon\.err not starting: \/etc\/config\/wanpulse has errors/);
  assert.match(r.log, /wanpulse:12: option interval_ms: '5' is below 20/);
  assert.match(r.log, /wanpulse:20: unknown option 'colour'/);
  assert.match(r.err, /unknown option 'colour'/);
});

test('start: a missing runtime or fping (exit 2) is reported instead of a respawn loop', async () => {
  const r = await runInit('start_service', { uci: { enabled: '1', backend: 'route' }, checkRc: 2, checkOut: 'wanpulse: no JavaScript runtime found.\n' });
  assert.not.match(r.procd, /open_instance/);
  assert.match(r.log, /dependency is missing/);
  assert.match(r.log, /no JavaScript runtime found/);
});

test('start: disabled in UCI starts nothing and says so', async () => {
  const r = await runInit('start_service', { uci: { enabled: '0' } });
  assert.is(r.code, 0);
  assert.not.match(r.procd, /open_instance/);
  assert.is(r.calls, '');
  assert.match(r.log, /disabled/);
});

test('start: backend mwan3 without mwan3 installed is refused with a hint', async () => {
  if (existsSync('/usr/sbin/mwan3')) return; // this machine has mwan3: nothing to show
  const r = await runInit('start_service', { uci: { enabled: '1', backend: 'mwan3' } });
  assert.not.match(r.procd, /open_instance/);
  assert.match(r.log, /mwan3 is not installed/);
});

test('reload: a broken edit keeps the running daemon (no new procd service definition)', async () => {
  const r = await runInit('reload_service', { uci: { enabled: '1', backend: 'route' }, checkRc: 1, checkOut: 'x:1: bad\n' });
  assert.not.match(r.procd, /open_instance/);
  assert.match(r.log, /reload refused/);
});

test('reload: a good edit goes through procd (which sends HUP to the running instance)', async () => {
  const r = await runInit('reload_service', { uci: { enabled: '1', backend: 'route' } });
  assert.match(r.procd, /param reload_signal HUP/);
});

test('triggers: changes to wanpulse or mwan3 config reload the service', async () => {
  const r = await runInit('service_triggers');
  assert.match(r.procd, /reload_trigger wanpulse mwan3/);
});

test('stop: waits for the old daemon to exit, then hands back whatever it still owned', async () => {
  const sleeper = spawn('sleep', ['1']);
  try {
    const r = await runInit('stop', { pid: String(sleeper.pid) });
    assert.match(r.calls, /^handback --config-dir \/etc\/config --run-dir \S+ alive=no$/m);
  } finally {
    sleeper.kill('SIGKILL');
  }
});

test('stop: hands back even when no daemon is running', async () => {
  const r = await runInit('stop', { pid: '' });
  assert.match(r.calls, /^handback --config-dir \/etc\/config --run-dir /m);
});

test('status prints the service state and `wanpulse status`', async () => {
  const r = await runInit('status_service', { running: true });
  assert.match(r.err, /service: running/);
  assert.match(r.err, /uplinks: wan online/);
});

test.run();
