// The status page and widget without a daemon: no status file at all, and rpcd refusing the
// call (plugin not loaded, no permission) each give their own clear message and no JS error;
// a status file left behind is shown with all its fields.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserUnavailable, launch } from './browser.ts';
import { serveLuci } from './server.ts';
import type { StatusSnapshot, UplinkStatus } from '../../src/status/model.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const skip = await browserUnavailable();

async function messageOf(path: string, deny: string[] = [], enabled = true): Promise<string | null> {
  const dir = mkdtempSync(join(tmpdir(), 'wanpulse-luci-status-'));
  copyFileSync(join(root, 'test/fixtures/config/mwan3-wg/mwan3'), join(dir, 'mwan3'));
  writeFileSync(join(dir, 'wanpulse'), `config globals 'globals'\n\toption enabled '${enabled ? 1 : 0}'\n`);
  const server = await serveLuci({ runDir: join(dir, 'run'), configDir: dir, deny });
  const b = await launch();
  try {
    await b.page.goto(`${server.url}/${path}`);
    await b.page.waitForSelector('body[data-view-ready]');
    assert.equal(b.errors, []);
    return await b.page.evaluate(() => document.querySelector('#view .wanpulse-problem')?.textContent ?? null);
  } finally {
    await b.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('no status file: not running, how to start it, where the log is (page and widget)', async () => {
  if (skip) { console.log(`SKIP: LuCI status test skipped because ${skip}`); return; }
  for (const path of ['?view=wanpulse/status', '?widget=70_wanpulse']) {
    const m = await messageOf(path);
    assert.match(m!, /not running and has left no status\. Start it with "service wanpulse start"; "logread -e wanpulse"/, path);
  }
});

test('disabled wins over "not running": it is the reason nothing runs', async () => {
  if (skip) return;
  assert.match((await messageOf('?view=wanpulse/status', [], false))!, /^wanpulse is disabled/);
});

test('rpcd refusing the status call is named as such, with the fix', async () => {
  if (skip) return;
  for (const path of ['?view=wanpulse/status', '?widget=70_wanpulse']) {
    const m = await messageOf(path, ['wanpulse.status', 'wanpulse.history']);
    assert.match(m!, /cannot be read through rpcd \(.*ubus code 6\)\. After installing wanpulse, restart rpcd/, path);
  }
});

// the last status of a daemon (shown as such): how each uplink is probed and the routing time
// of its last switchover, in English and German; older status files lack both
test('probe rate and the switchover\'s routing time as text, in English and German; fields older daemons lack', async () => {
  if (skip) return;
  const dir = mkdtempSync(join(tmpdir(), 'wanpulse-luci-status-'));
  writeFileSync(join(dir, 'wanpulse'), `config globals 'globals'\n\toption enabled '1'\n`);
  mkdirSync(join(dir, 'run'));
  const at = Date.now() - 5000;
  const up = (iface: string, over: Partial<UplinkStatus>): UplinkStatus => ({
    iface, device: iface, family: 'ipv4', state: 'online', since: at, rttMs: 10, jitterMs: 1, lossPct: 0, targets: [],
    owner: 'mwan3', reason: 'probes answer', flaps: 0, ...over,
  });
  const snap: StatusSnapshot = {
    version: '0.1.0', pid: 1, backend: 'route', startedAt: at, updatedAt: Date.now(), lastEvent: null, mqtt: null,
    uplinks: [
      up('wan', { probing: 'slow', intervalMs: 250, lastSwitch: { direction: 'up', reason: 'probes answer', at, ok: true, steps: [{ step: 'route', ms: 6 }], routeMs: 6, totalMs: 9 } }),
      up('lte', { probing: 'fast', intervalMs: 250, state: 'offline', owner: 'wanpulse', lastSwitch: { direction: 'down', reason: 'r', at, ok: false, error: 'ip: exit 2', steps: [], totalMs: 40 } }),
      up('dsl', { probing: 'fast' }),
      up('old', {}),
    ],
  };
  writeFileSync(join(dir, 'run/status.json'), JSON.stringify(snap));
  const server = await serveLuci({ runDir: join(dir, 'run'), configDir: dir });
  try {
    const texts = async (lang: string) => {
      const b = await launch();
      try {
        await b.page.goto(`${server.url}/?view=wanpulse/status&lang=${lang}`);
        await b.page.waitForSelector('body[data-view-ready]');
        assert.equal(b.errors, []);
        return await b.page.evaluate(() => Object.fromEntries(Array.from(document.querySelectorAll('.wanpulse-uplink')).map((u) =>
          [u.getAttribute('data-iface'), [u.querySelector('.wanpulse-probing')?.textContent ?? null, u.querySelector('.wanpulse-switch')?.textContent ?? null]])));
      } finally {
        await b.close();
      }
    };
    const en = await texts('en');
    assert.is(en.wan![0], 'Probing: once a second, because its own traffic shows that it is alive');
    assert.match(en.wan![1]!, /^Last switchover: handed back \d+ s ago \(probes answer\), routing changed after 6 ms, done in 9 ms \[route 6 ms\]$/);
    assert.is(en.lte![0], 'Probing: every 250 ms to each target');
    assert.match(en.lte![1]!, /^Last switchover: taken out of rotation \d+ s ago \(r\), failed after 40 ms: ip: exit 2$/, 'no routing time when routing did not change');
    assert.is(en.dsl![0], 'Probing: at the probe interval');
    assert.equal(en.old, [null, 'Last switchover: No switchover since the daemon started.']);
    const de = await texts('de');
    assert.is(de.wan![0], 'Proben: einmal pro Sekunde, weil sein eigener Verkehr zeigt, dass er lebt');
    assert.match(de.wan![1]!, /Routing geändert nach 6 ms, fertig in 9 ms/);
    assert.is(de.lte![0], 'Proben: alle 250 ms an jedes Ziel');
    // the overview widget says the same in a few words, in its own column
    const widget = async (lang: string) => {
      const b = await launch();
      try {
        await b.page.goto(`${server.url}/?widget=70_wanpulse&lang=${lang}`);
        await b.page.waitForSelector('body[data-view-ready]');
        assert.equal(b.errors, []);
        return await b.page.evaluate(() => ({
          head: Array.from(document.querySelectorAll('table.wanpulse-widget th')).map((t) => t.textContent),
          rows: Object.fromEntries(Array.from(document.querySelectorAll('table.wanpulse-widget tr[data-iface]')).map((r) =>
            [r.getAttribute('data-iface'), r.querySelector('.wanpulse-probing')?.textContent ?? null])),
        }));
      } finally {
        await b.close();
      }
    };
    const wen = await widget('en');
    assert.equal(wen.head, ['Uplink', 'State', 'RTT', 'Loss', 'Probing', 'Held by']);
    assert.equal(wen.rows, { wan: '1/s, own traffic shows it alive', lte: 'every 250 ms', dsl: 'at the probe interval', old: '-' });
    const wde = await widget('de');
    assert.is(wde.head[4], 'Proben');
    assert.equal(wde.rows, { wan: '1/s, eigener Verkehr zeigt, dass er lebt', lte: 'alle 250 ms', dsl: 'im Probenintervall', old: '-' });
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
