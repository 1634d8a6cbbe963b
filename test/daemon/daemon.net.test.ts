// The daemon as a user runs it (`wanpulse run`), with the real fping, in namespaces this test
// creates: `gw` runs the daemon with two uplinks (veth), `tg` holds two targets per uplink.
// Backend `none` with a real mwan3 UCI file: decisions, status file, CLI, signals — the parts a
// router needs that this machine can run. (The mwan3 and route backends have their own tests.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeSpawner } from '../../src/platform/node.ts';
import type { ChildProcess } from '../../src/platform/ports.ts';
import type { StatusSnapshot } from '../../src/status/model.ts';
import { NetnsSet, netnsUnavailable, sleep } from '../net/netns.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = join(root, 'src/main.ts');

const MWAN3 = `
config globals 'globals'
	option mmx_mask '0x3F00'

config interface 'up1'
	option enabled '1'
	list track_ip '10.210.1.2'
	list track_ip '10.210.1.3'
	option reliability '1'

config interface 'up2'
	option enabled '1'
	list track_ip '10.210.2.2'
	list track_ip '10.210.2.3'

config member 'up1_m1'
	option interface 'up1'

config member 'up2_m1'
	option interface 'up2'

config policy 'balanced'
	list use_member 'up1_m1'
	list use_member 'up2_m1'

config rule 'default_rule_v4'
	option dest_ip '0.0.0.0/0'
	option use_policy 'balanced'
`;

const wanpulse = (fping: string, extra = '') => `
config globals 'globals'
	option backend 'none'
	option fping '${fping}'
	option unknown_handback_s '3'
${extra}
config interface 'up1'
	option device 'wdu1'

config interface 'up2'
	option device 'wdu2'
`;

async function waitFor<T>(what: string, get: () => T | undefined | null | false, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (let i = 0; Date.now() < end && i < 2000; i++) {
    const v = get();
    if (v) return v;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('wanpulse run: detects a cut, holds back when all are dead, survives fping kill -9, reloads on HUP, stops on TERM', async () => {
  const why = await netnsUnavailable(['fping', 'nft']);
  if (why) { console.log(`SKIP: daemon network test skipped because ${why}`); return; }
  const ns = new NetnsSet('wpd');
  let daemon: ChildProcess | null = null;
  const logLines: string[] = [];
  try {
    const gw = await ns.add('g');
    const tg = await ns.add('t');
    for (const n of [1, 2]) {
      await ns.exec(gw, ['ip', 'link', 'add', `wdu${n}`, 'type', 'veth', 'peer', 'name', `wdt${n}`, 'netns', tg]);
      await ns.exec(gw, ['ip', 'addr', 'add', `10.210.${n}.1/24`, 'dev', `wdu${n}`]);
      await ns.exec(gw, ['ip', 'link', 'set', `wdu${n}`, 'up']);
      await ns.exec(tg, ['ip', 'addr', 'add', `10.210.${n}.2/24`, 'dev', `wdt${n}`]);
      await ns.exec(tg, ['ip', 'addr', 'add', `10.210.${n}.3/24`, 'dev', `wdt${n}`]);
      await ns.exec(tg, ['ip', 'link', 'set', `wdt${n}`, 'up']);
    }
    await ns.exec(tg, ['nft', 'add table inet fault; add chain inet fault in { type filter hook input priority 0; }']);
    const cut = (n: number) => ns.exec(tg, ['nft', `add rule inet fault in iifname "wdt${n}" drop`]);
    const restore = () => ns.exec(tg, ['nft', 'flush chain inet fault in']);

    const dir = ns.scratch();
    const configDir = join(dir, 'config');
    const runDir = join(dir, 'run');
    mkdirSync(configDir);
    const fping = ns.wrapper(gw, 'fping', 'fping');
    writeFileSync(join(configDir, 'mwan3'), MWAN3);
    writeFileSync(join(configDir, 'wanpulse'), wanpulse(fping));

    const check = await nodeSpawner.run([process.execPath, '--import', 'tsx', main, 'check-config', '--config-dir', configDir], { timeoutMs: 20_000 });
    assert.is(check.code, 0, check.stderr);
    assert.match(check.stdout, /configuration OK: backend none, 2 tracked interface\(s\): up1 \[10\.210\.1\.2 10\.210\.1\.3\]/);

    daemon = nodeSpawner.spawn(['ip', 'netns', 'exec', gw, process.execPath, '--import', 'tsx', main, 'run', '--config-dir', configDir, '--run-dir', runDir], { stdout: 'pipe', stderr: 'pipe' });
    daemon.onStderrLine((l) => { logLines.push(l); if (process.env.VERBOSE) console.error(l); });
    const status = (): StatusSnapshot | null => {
      try { return JSON.parse(readFileSync(join(runDir, 'status.json'), 'utf8')) as StatusSnapshot; } catch { return null; }
    };
    const uplink = (name: string) => status()?.uplinks.find((u) => u.iface === name);

    await waitFor('both uplinks online', () => uplink('up1')?.state === 'online' && uplink('up2')?.state === 'online', 15_000);
    assert.is(uplink('up1')!.targets.length, 2);
    assert.ok(uplink('up1')!.rttMs !== null);

    // hard cut of up1: offline, taken by wanpulse, with a detection time and switch timings
    await cut(1);
    const off = await waitFor('up1 offline', () => (uplink('up1')?.state === 'offline' && uplink('up1')?.lastSwitch ? uplink('up1') : null));
    assert.is(off!.owner, 'wanpulse');
    assert.match(off!.reason, /failed rounds: 0\/2 targets answered/);
    assert.ok(off!.lastSwitch!.ok);
    const ev = status()!.lastEvent!;
    assert.equal([ev.iface, ev.from, ev.to], ['up1', 'online', 'offline']);
    assert.ok(ev.detectMs !== null && ev.detectMs > 0);
    assert.ok(logLines.some((l) => /up1 online -> offline .* detect \d+ ms/.test(l)), logLines.join('\n'));

    const shown = await nodeSpawner.run([process.execPath, '--import', 'tsx', main, 'status', '--run-dir', runDir], { timeoutMs: 20_000 });
    assert.is(shown.code, 0);
    assert.match(shown.stdout, /up1\s+offline\s.*\swanpulse\s/);
    assert.match(shown.stdout, /up2\s+online/);

    // up2 dies as well: never the last member — both are left to mwan3's tracker
    await cut(2);
    await waitFor('both held back', () => uplink('up2')?.state === 'offline' && uplink('up1')?.owner === 'mwan3' && uplink('up2')?.owner === 'mwan3');
    assert.match(uplink('up1')!.reason, /all members of policy balanced look dead/);
    await restore();
    await waitFor('both back online', () => uplink('up1')?.state === 'online' && uplink('up2')?.state === 'online');

    // kill -9 of up1's fping: reported as unknown (never healthy), restarted, online again
    const pid = Number(readFileSync(join(runDir, 'fping-up1.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await waitFor('prober death logged', () => logLines.some((l) => /up1: fping killed by SIGKILL/.test(l)));
    await waitFor('up1 online after restart', () => uplink('up1')?.state === 'online' && Number(readFileSync(join(runDir, 'fping-up1.pid'), 'utf8')) !== pid);

    // SIGHUP: up2's health history survives; a new option applies
    const before = uplink('up2')!.since;
    writeFileSync(join(configDir, 'wanpulse'), wanpulse(fping, "\toption log_level 'debug'\n"));
    daemon.kill('SIGHUP');
    await waitFor('reload logged', () => logLines.some((l) => /SIGHUP: reloading configuration/.test(l)));
    await sleep(600);
    assert.is(uplink('up2')!.state, 'online');
    assert.is(uplink('up2')!.since, before, 'unchanged interface kept its state');

    // SIGTERM: exits 0 within 2 s; its fping children are gone
    const fpings = ['up1', 'up2'].map((n) => Number(readFileSync(join(runDir, `fping-${n}.pid`), 'utf8')));
    const t0 = Date.now();
    daemon.kill('SIGTERM');
    const st = await Promise.race([daemon.exited, sleep(4000).then(() => null)]);
    assert.ok(st, 'daemon exited');
    assert.is(st!.code, 0);
    assert.ok(Date.now() - t0 < 2500, `stopped in ${Date.now() - t0} ms`);
    daemon = null;
    for (const p of fpings) assert.not.ok(existsSync(`/proc/${p}`) && readFileSync(`/proc/${p}/stat`, 'utf8').split(' ')[2] !== 'Z', `fping ${p} still running`);
    assert.ok(logLines.some((l) => /stopped/.test(l)));
  } catch (e) {
    console.error(logLines.slice(-40).join('\n'));
    throw e;
  } finally {
    daemon?.kill('SIGKILL');
    await ns.destroy();
  }
});

test('check-config reports every problem with file:line and exits 1; run refuses to start', async () => {
  const bad = join(root, 'test/fixtures/config/bad-values');
  const r = await nodeSpawner.run([process.execPath, '--import', 'tsx', main, 'check-config', '--config-dir', bad], { timeoutMs: 20_000 });
  assert.is(r.code, 1);
  const lines = r.stdout.split('\n').filter((l) => /: error: /.test(l));
  assert.ok(lines.length >= 3, r.stdout);
  assert.ok(lines.every((l) => /^\S+\/(wanpulse|mwan3|network):\d+: error: /.test(l)), r.stdout);
  const run = await nodeSpawner.run([process.execPath, '--import', 'tsx', main, 'run', '--config-dir', bad, '--run-dir', '/tmp/wanpulse-never'], { timeoutMs: 20_000 });
  assert.is(run.code, 1);
  assert.match(run.stderr, /configuration has errors: not starting/);
});

test.run();
