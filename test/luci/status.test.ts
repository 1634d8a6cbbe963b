// The status page and widget without a daemon: no status file at all, and rpcd refusing the
// call (plugin not loaded, no permission) each give their own clear message and no JS error.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserUnavailable, launch } from './browser.ts';
import { serveLuci } from './server.ts';

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

test.run();
