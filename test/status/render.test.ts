import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { StatusSnapshot } from '../../src/status/model.ts';
import { renderStatus } from '../../src/status/render.ts';
import { parseArgs } from '../../src/cli-args.ts';

const now = Date.UTC(2026, 10, 25, 12, 0, 0);
const snap: StatusSnapshot = {
  version: '0.1.0', pid: 321, backend: 'mwan3', startedAt: now - 3_600_000, updatedAt: now - 500,
  uplinks: [
    { iface: 'wg0', device: 'wg0', family: 'ipv4', state: 'offline', since: now - 42_000, rttMs: null, jitterMs: null, lossPct: 100,
      targets: [{ ip: '192.0.2.1', up: false, rttMs: null, lossPct: 100 }, { ip: '198.51.100.1', up: false, rttMs: null, lossPct: 100 }],
      owner: 'wanpulse', reason: '3 failed rounds: 0/2 targets answered (need 1)', flaps: 1,
      lastSwitch: { direction: 'down', reason: 'x', at: now - 41_000, ok: true, steps: [{ step: 'hotplug', ms: 180 }, { step: 'drain', ms: 210 }], routeMs: 180, totalMs: 260 } },
    { iface: 'wg1', device: 'wg1', family: 'ipv4', state: 'online', since: now - 3_500_000, rttMs: 12.34, jitterMs: 0.8, lossPct: 0,
      targets: [{ ip: '192.0.2.2', up: true, rttMs: 12.1, lossPct: 0 }], owner: 'mwan3', reason: '5 good rounds', flaps: 0 },
  ],
  lastEvent: { iface: 'wg0', from: 'online', to: 'offline', reason: '3 failed rounds', detectMs: 812, at: now - 42_000 },
  mqtt: { enabled: true, connected: false, lastError: 'connection refused' },
};

test('status table: one row per uplink with state, since, figures, owner and reason', () => {
  const out = renderStatus(snap, now);
  const lines = out.split('\n');
  assert.match(lines[0]!, /wanpulse 0\.1\.0 \(pid 321\), backend mwan3, up 60m/);
  const row = lines.find((l) => l.startsWith('wg0 '))!;
  assert.match(row, /^wg0\s+offline\s+42s\s+-\s+-\s+100\.0%\s+wanpulse\s+3 failed rounds/);
  assert.match(lines.find((l) => l.startsWith('wg1 '))!, /online\s+58m\s+12\.3ms\s+0\.8ms\s+0\.0%\s+mwan3/);
  assert.match(out, /192\.0\.2\.1 DOWN - loss 100\.0%/);
  assert.match(out, /last switch: down 41s ago, ok in 260 ms, routing changed after 180 ms \[hotplug 180ms, drain 210ms\]/);
  assert.match(out, /last event: wg0 online -> offline 42s ago \(3 failed rounds\), detected in 812 ms/);
  assert.match(out, /mqtt: not connected \(connection refused\)/);
  assert.not.match(out, /stale/);
});

test('a status file nobody updates is called stale', () => {
  assert.match(renderStatus({ ...snap, updatedAt: now - 60_000 }, now), /WARNING: the status file is stale/);
});

test('arguments: command, directories, --json, errors', () => {
  assert.equal(parseArgs(['status', '--json', '--run-dir', '/tmp/r']), { command: 'status', configDir: '/etc/config', runDir: '/tmp/r', json: true, rest: [] });
  assert.equal(parseArgs(['run', '--config-dir=/x']), { command: 'run', configDir: '/x', runDir: '/var/run/wanpulse', json: false, rest: [] });
  assert.is((parseArgs(['--version']) as { command: string }).command, 'version');
  assert.is(parseArgs(['run', '--bogus']), 'unknown argument: --bogus');
  assert.is(parseArgs(['run', '--run-dir']), '--run-dir needs a value');
});

test.run();
