import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CoreEvent } from '../../src/core/events.ts';
import { CounterSampler, SAMPLE_MS, statisticsPath } from '../../src/evidence/counters.ts';
import { FakeClock } from '../fakes/clock.ts';
import { MemoryFs } from '../fakes/fs.ts';

const flush = () => new Promise((r) => setTimeout(r, 0));

test('samples rx/tx packet counters every 100 ms as timestamped events; a missing device yields none', async () => {
  const clock = new FakeClock();
  const fs = new MemoryFs({ [statisticsPath('wg0', 'rx_packets')]: '10\n', [statisticsPath('wg0', 'tx_packets')]: '7\n' });
  const events: CoreEvent[] = [];
  const s = new CounterSampler(fs, clock, 'wg0', 'wg0', (e) => events.push(e));
  const gone = new CounterSampler(fs, clock, 'wg1', 'wg9', (e) => events.push(e));
  s.start();
  gone.start();
  for (let i = 0; i < 3; i++) { clock.advance(SAMPLE_MS); await flush(); }
  await fs.writeAtomic(statisticsPath('wg0', 'rx_packets'), '25\n');
  clock.advance(SAMPLE_MS); await flush();
  assert.equal(events.map((e) => e.kind === 'counterSample' && [e.iface, e.rxPackets, e.txPackets, e.at]),
    [['wg0', 10, 7, 100], ['wg0', 10, 7, 200], ['wg0', 10, 7, 300], ['wg0', 25, 7, 400]]);
  s.stop();
  gone.stop();
  assert.is(clock.pendingCount(), 0, 'no timer left');
});

test('the real counters of the loopback device are read (Linux /sys through the Node adapter)', async () => {
  const { nodeClock, nodeFs } = await import('../../src/platform/node.ts');
  const events: CoreEvent[] = [];
  const s = new CounterSampler(nodeFs, nodeClock, 'lo', 'lo', (e) => events.push(e));
  s.start();
  for (let i = 0; i < 20 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  s.stop();
  const e = events[0];
  assert.ok(e && e.kind === 'counterSample' && Number.isInteger(e.rxPackets) && e.rxPackets >= 0, JSON.stringify(events));
});

test.run();
