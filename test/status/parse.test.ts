// The status file read back by `wanpulse status`: checked against its shape before rendering.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSnapshot } from '../../src/status/build.ts';
import { parseSnapshot } from '../../src/status/parse.ts';
import { renderStatus } from '../../src/status/render.ts';
import { createCoreState } from '../../src/core/engine.ts';
import { testConfig } from '../core/config-fixture.ts';

const error = (text: string) => { const r = parseSnapshot(text); return 'error' in r ? r.error : null; };

test('the daemon\'s own snapshot passes, before and after an event, and renders', () => {
  const config = testConfig();
  const snap = buildSnapshot({
    config, core: createCoreState(config, 0), version: '0.1.0', pid: 1, startedAt: 0, monoToWall: (m) => m, wallNow: 1000,
    lastSwitch: new Map([[config.interfaces[0]!.name, { direction: 'down', reason: 'r', at: 1, ok: false, error: 'e', steps: [{ step: 'hotplug', ms: 3 }], totalMs: 4 }]]),
    lastEvent: { iface: 'wan', from: 'online', to: 'offline', reason: 'x', detectMs: null, at: 5 }, mqtt: { enabled: true, connected: false, lastError: null },
  });
  const r = parseSnapshot(JSON.stringify(snap));
  assert.ok('snap' in r, JSON.stringify(r));
  assert.equal(r.snap, snap);
  assert.type(renderStatus(r.snap, 2000), 'string');
});

test('other shapes give a reason naming the field, never a TypeError', () => {
  assert.is(error('{'), 'is not valid JSON');
  assert.is(error('null'), 'has an unexpected shape (status is not an object)');
  assert.is(error('[]'), 'has an unexpected shape (status is not an object)');
  assert.is(error('{}'), 'has an unexpected shape (status.version is not a string)');
  const head = '"version":"1","pid":1,"backend":"mwan3","startedAt":0,"updatedAt":0';
  assert.is(error(`{${head},"uplinks":[{}]}`), 'has an unexpected shape (status.uplinks[0].iface is not a string)');
  assert.is(error(`{${head},"uplinks":{}}`), 'has an unexpected shape (status.uplinks is not a list)');
  assert.is(error(`{${head},"uplinks":[],"lastEvent":{"iface":"a","from":1}}`), 'has an unexpected shape (status.lastEvent.from is not a string)');
  assert.is(error(`{${head},"uplinks":[],"pid":1e999}`), 'has an unexpected shape (status.pid is not a number)');
});

test('text fields lose control characters (the table goes to a terminal)', () => {
  const r = parseSnapshot('{"version":"1\\u001b[2J","pid":1,"backend":"b\\nforged","startedAt":0,"updatedAt":0,"uplinks":[]}');
  assert.ok('snap' in r);
  assert.is(r.snap.version, '1?[2J');
  assert.is(r.snap.backend, 'b?forged');
  assert.is(r.snap.lastEvent, null);
});

test.run();
