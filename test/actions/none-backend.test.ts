import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InterfaceConfig } from '../../src/config/types.ts';
import { createNoneBackend } from '../../src/actions/none-backend.ts';
import { makeLog, memoryLog } from '../../src/platform/log.ts';

const wan: InterfaceConfig = {
  name: 'wan', device: 'eth1', deviceKnown: true, family: 'ipv4', trackIps: [], mwan3Id: 0, mark: 0,
  weight: 1, metric: 1, health: {} as InterfaceConfig['health'],
};

test('every call succeeds, changes nothing and says what it would have done', async () => {
  const log = memoryLog();
  const backend = createNoneBackend(log);
  assert.is(backend.name, 'none');
  await backend.start([wan]);
  assert.equal(await backend.takeDown(wan, 'lost 3 rounds'), { ok: true, steps: [] });
  assert.equal(await backend.bringUp(wan, 'recovered'), { ok: true, steps: [] });
  assert.equal(await backend.reconcile(), { offlineByMwan3: [], repaired: [] });
  await backend.stop();
  assert.ok(log.lines.some((l) => l.startsWith('debug:') && l.includes('would take wan out') && l.includes('lost 3 rounds')));
  assert.ok(log.lines.some((l) => l.includes('observe and publish only')));
  assert.ok(log.lines.every((l) => l.startsWith('debug:')));
});

test('logs nothing above debug level', async () => {
  const lines: string[] = [];
  const backend = createNoneBackend(makeLog('info', (l) => lines.push(l)));
  await backend.start([wan]);
  await backend.takeDown(wan, 'x');
  assert.equal(lines, []);
});

test.run();
