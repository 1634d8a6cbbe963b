// The counter sampler: one timer and one read of /proc/net/dev for every uplink, every SAMPLE_MS,
// as timestamped counterSample events; a device that is not in the table yields none.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CoreEvent } from '../../src/core/events.ts';
import { CounterSampler, NET_DEV, SAMPLE_MS, parseNetDev } from '../../src/evidence/counters.ts';
import { FakeClock } from '../fakes/clock.ts';
import { MemoryFs } from '../fakes/fs.ts';

const flush = () => new Promise((r) => setTimeout(r, 0));
const HEAD = 'Inter-|   Receive                                                |  Transmit\n'
  + ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
const line = (dev: string, rx: number, tx: number) => `${dev.padStart(6)}: ${rx * 100} ${rx} 0 0 0 0 0 0 ${tx * 90} ${tx} 0 0 0 0 0 0\n`;

test('parses rx and tx packets of the devices asked for; a prefix is another device; a line cut short is nothing', () => {
  const want = new Map([['wg1', 1], ['eth0.2', 1]]);
  const text = HEAD + line('lo', 5, 5) + line('wg10', 1, 2) + line('wg1', 10, 7) + line('eth0.2', 3, 4);
  assert.equal([...parseNetDev(text, want)], [['wg1', { rx: 10, tx: 7 }], ['eth0.2', { rx: 3, tx: 4 }]]);
  assert.equal([...parseNetDev(HEAD + line('wg1', 10, 7).slice(0, 40), want)], []);
  assert.equal([...parseNetDev('wg1:12 3 0 0 0 0 0 0 4 5 0 0 0 0 0 0', want)], [['wg1', { rx: 3, tx: 5 }]], 'no space after the colon (older kernels)');
});

test('one read every 100 ms for all uplinks; a device not in the table yields no sample; remove and stop end it', async () => {
  const clock = new FakeClock();
  const fs = new MemoryFs({ [NET_DEV]: HEAD + line('lo', 1, 1) + line('wg0', 10, 7) + line('wg1', 3, 3) });
  let reads = 0;
  const openPolled = fs.openPolled.bind(fs);
  fs.openPolled = (p) => { const f = openPolled(p); return { read: (e) => { reads++; return f.read(e); }, close: () => f.close() }; };
  const events: CoreEvent[] = [];
  const s = new CounterSampler(fs, clock, (e) => events.push(e));
  s.add('wan', 'wg0');
  s.add('lte', 'wg1');
  s.add('gone', 'wg9');
  for (let i = 0; i < 2; i++) { clock.advance(SAMPLE_MS); await flush(); }
  fs.files.set(NET_DEV, HEAD + line('wg0', 25, 8) + line('wg1', 3, 3));
  clock.advance(SAMPLE_MS); await flush();
  const got = events.map((e) => e.kind === 'counterSample' && [e.iface, e.rxPackets, e.txPackets, e.at]);
  assert.equal(got, [['wan', 10, 7, 100], ['lte', 3, 3, 100], ['wan', 10, 7, 200], ['lte', 3, 3, 200], ['wan', 25, 8, 300], ['lte', 3, 3, 300]]);
  assert.is(reads, 3, 'one read per sample, not one per uplink and counter');
  s.remove('lte');
  events.length = 0;
  clock.advance(SAMPLE_MS); await flush();
  assert.equal(events.map((e) => e.kind === 'counterSample' && e.iface), ['wan']);
  s.remove('wan');
  s.remove('gone');
  assert.is(clock.pendingCount(), 0, 'no timer left once no uplink is sampled');
  s.add('wan', 'wg0');
  s.stop();
  assert.is(clock.pendingCount(), 0);
});

test('the real table: loopback\'s counters through the Node adapter', async () => {
  const { nodeClock, nodeFs } = await import('../../src/platform/node.ts');
  const events: CoreEvent[] = [];
  const s = new CounterSampler(nodeFs, nodeClock, (e) => events.push(e));
  s.add('lo', 'lo');
  for (let i = 0; i < 20 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  s.stop();
  const e = events[0];
  assert.ok(e && e.kind === 'counterSample' && Number.isInteger(e.rxPackets) && e.rxPackets >= 0, JSON.stringify(events));
});

test.run();
