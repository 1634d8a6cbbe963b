// The graph history: sampled at most every sampleMs, bounded rings, transitions noted at once.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryFs } from '../fakes/fs.ts';
import { StatusHistory, type HistoryFile } from '../../src/status/history.ts';
import type { StatusSnapshot, UplinkState, UplinkStatus } from '../../src/status/model.ts';

const uplink = (iface: string, state: UplinkState, rttMs: number | null, since = 0): UplinkStatus => ({
  iface, device: iface, family: 'ipv4', state, since, rttMs, jitterMs: 1, lossPct: state === 'offline' ? 100 : 0,
  targets: [], owner: 'mwan3', reason: `${state} now`, flaps: 0,
});
const snap = (at: number, uplinks: UplinkStatus[]): StatusSnapshot => ({
  version: '0', pid: 1, backend: 'none', startedAt: 0, updatedAt: at, uplinks, lastEvent: null, mqtt: null,
});
const flush = () => new Promise((r) => setTimeout(r, 0));

test('samples at most every sampleMs and writes the file each time it sampled', async () => {
  const fs = new MemoryFs();
  const h = new StatusHistory(fs, '/run/history.json', { sampleMs: 1000 });
  for (let t = 0; t <= 3000; t += 250) { h.record(snap(10_000 + t, [uplink('wan', 'online', 10 + t / 1000)])); await flush(); }
  const file = JSON.parse(fs.files.get('/run/history.json')!) as HistoryFile;
  assert.is(file.base, 10_000);
  assert.equal(file.uplinks[0]!.t, [0, 1000, 2000, 3000]);
  assert.equal(file.uplinks[0]!.rtt, [10, 11, 12, 13]);
  assert.is(file.uplinks[0]!.state, 'oooo');
});

test('rings are bounded; transitions carry time, states and reason; removed uplinks disappear', async () => {
  const fs = new MemoryFs();
  const h = new StatusHistory(fs, '/h.json', { sampleMs: 1, samples: 5, transitions: 3 });
  const states: UplinkState[] = ['online', 'offline', 'online', 'degraded', 'online', 'offline', 'unknown'];
  states.forEach((s, i) => h.record(snap(1000 + i * 10, [uplink('wan', s, s === 'offline' ? null : 5, 1000 + i * 10), uplink('lte', 'online', 40)])));
  await flush();
  const f = h.toJSON();
  const wan = f.uplinks.find((u) => u.iface === 'wan')!;
  assert.is(wan.t.length, 5);
  assert.is(wan.state, 'odoxu');
  assert.equal(wan.rtt.slice(-2), [null, 5]);
  assert.equal(f.transitions.map((t) => `${t.from}>${t.to}`), ['degraded>online', 'online>offline', 'offline>unknown']);
  assert.is(f.transitions[1]!.reason, 'offline now');
  assert.is(f.transitions[1]!.at, 1050);
  h.record(snap(2000, [uplink('lte', 'online', 40)]));
  assert.equal(h.toJSON().uplinks.map((u) => u.iface), ['lte']);
  assert.is(h.toJSON().transitions.length, 0);
});

test('a failing file system never throws into the daemon', async () => {
  const fs = new MemoryFs({}, { readOnly: true });
  const h = new StatusHistory(fs, '/ro/h.json');
  h.record(snap(1, [uplink('wan', 'online', 1)]));
  await flush();
  assert.is(h.toJSON().uplinks.length, 1);
});

test.run();
