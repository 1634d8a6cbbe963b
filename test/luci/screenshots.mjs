#!/usr/bin/env node
// Screenshots of luci-app-wanpulse for docs/: a real daemon in namespaces (test/luci/daemon-run.ts),
// a 6-second cut of one uplink so the graph shows an outage and the recovery, a flow on the other
// (probed once a second), then the status page (English and German) and the settings page in
// headless Chromium under the stand-in LuCI.
// Usage (root, network namespaces): node test/luci/screenshots.mjs [--out DIR]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
if (!process.execArgv.some((a) => a.includes('tsx'))) {
  // the helpers are TypeScript: run again under tsx
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { startDaemon, waitFor } = await import('./daemon-run.ts');
const { serveLuci } = await import('./server.ts');
const { launch } = await import('./browser.ts');
const { sleep } = await import('../net/netns.ts');

const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? process.argv[outArg + 1] : join(here, '../../docs');
const run = await startDaemon('wps');
let server = null;
let b = null;
let stopFlow = null;
try {
  console.log('screenshots: collecting 30 s of history with a cut of wan1');
  await sleep(12_000);
  await run.cut(1);
  await run.waitFor('wan1 offline', () => run.status()?.uplinks.find((u) => u.iface === 'wan1')?.state === 'offline');
  await sleep(6000);
  await run.restore();
  await run.waitFor('wan1 online', () => run.status()?.uplinks.find((u) => u.iface === 'wan1')?.state === 'online', 15_000);
  await sleep(10_000);
  // a flow on wan2, so the page shows both probe rates
  stopFlow = run.traffic(2);
  await run.waitFor('wan2 probed slowly', () => run.status()?.uplinks.find((u) => u.iface === 'wan2')?.probing === 'slow', 10_000);
  server = await serveLuci({ runDir: run.runDir, configDir: run.configDir });
  b = await launch({ width: 1100, height: 1000 });
  for (const [lang, file] of [['en', 'luci-status.png'], ['de', 'luci-status-de.png']]) {
    await b.page.goto(`${server.url}/?view=wanpulse/status&lang=${lang}`);
    await b.page.waitForSelector('body[data-view-ready]');
    await waitFor('graphs', () => b.page.evaluate(() => document.querySelectorAll('path.wanpulse-rtt').length === 2), 10_000);
    await b.page.screenshot({ path: join(out, file), fullPage: true });
    console.log(`screenshots: ${join(out, file)}`);
  }
  await b.page.goto(`${server.url}/?view=wanpulse/settings`);
  await b.page.waitForSelector('body[data-view-ready]');
  // a bad value, to show the check-config message beside the field
  await b.page.fill('[id="widget.cbid.wanpulse.globals.interval_ms"]', '5');
  await b.page.dispatchEvent('[id="widget.cbid.wanpulse.globals.interval_ms"]', 'change');
  await b.page.screenshot({ path: join(out, 'luci-settings.png'), clip: { x: 0, y: 0, width: 1100, height: 1500 }, fullPage: true });
  console.log(`screenshots: ${join(out, 'luci-settings.png')}`);
  if (b.errors.length) throw new Error(`JavaScript errors: ${b.errors.join('; ')}`);
} finally {
  await stopFlow?.();
  await b?.close();
  await server?.close();
  await run.destroy();
}
