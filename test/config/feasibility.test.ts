import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkFeasibility, minIntervalMs } from '../../src/config/feasibility.ts';
import { loadConfig } from '../../src/config/load.ts';
import { MemoryFs } from '../fakes/fs.ts';
import { iface } from '../core/config-fixture.ts';

const MWAN3_SAMPLE = readFileSync(fileURLToPath(new URL('../fixtures/openwrt/mwan3.two-tunnels', import.meta.url)), 'utf8');

test('an interval fping cannot keep with this many targets is an error naming the numbers', () => {
  const i = { ...iface('wg0', 1), trackIps: ['192.0.2.1', '198.51.100.1'] };
  assert.is(minIntervalMs(2), 25);
  const [p, ...rest] = checkFeasibility([{ ...i, health: { ...i.health, intervalMs: 20 } }], '/etc/config/mwan3');
  assert.equal(rest, []);
  assert.is(p!.severity, 'error');
  assert.match(p!.message, "interface 'wg0': interval_ms 20");
  assert.match(p!.message, '2 × 10 + 5 = 25 ms');
  assert.equal(checkFeasibility([{ ...i, health: { ...i.health, intervalMs: 25 } }], 'f'), []);
  assert.equal(checkFeasibility([i], 'f'), [], 'the defaults are fine');
});

test('check-config refuses interval_ms 20 for mwan3 interfaces with 2 and 3 targets', async () => {
  const fs = new MemoryFs({
    '/etc/config/mwan3': MWAN3_SAMPLE,
    '/etc/config/wanpulse': "config globals 'globals'\n\toption interval_ms '20'\n\toption timeout_ms '150'\n",
  }, { readOnly: true });
  const { config, problems } = await loadConfig({ fs }, '/etc/config', { hostname: 'r' });
  assert.is(config, null);
  const errs = problems.filter((p) => p.severity === 'error').map((p) => p.message);
  assert.is(errs.length, 2, errs.join('\n'));
  assert.ok(errs.some((m) => m.includes("'wg0'") && m.includes('= 35 ms')), errs.join('\n'));
  assert.ok(errs.some((m) => m.includes("'wg1'") && m.includes('= 25 ms')), errs.join('\n'));
});

test.run();
