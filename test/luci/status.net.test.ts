// luci-app-wanpulse's status page and overview widget in headless Chromium, under the stand-in
// LuCI runtime, fed through the package's real rpcd plugin by a REAL daemon run (backend none,
// real fping, network namespaces): the page shows the daemon's values, the probe rate follows a
// flow, badges follow a cut and a restore, the graph draws the history with the transition, and
// the stale, stopped and disabled messages appear when the daemon hangs, stops or is disabled.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { netnsUnavailable } from '../net/netns.ts';
import { browserUnavailable, launch, type Browser } from './browser.ts';
import { startDaemon, waitFor, type DaemonRun } from './daemon-run.ts';
import { serveLuci, type LuciServer } from './server.ts';

const badge = (b: Browser, iface: string) => b.page.evaluate((i) =>
  document.querySelector(`table.wanpulse-uplinks tr[data-iface="${i}"] .wanpulse-badge`)?.getAttribute('data-state') ?? null, iface);
const rowText = (b: Browser, iface: string, cls: string) => b.page.evaluate(([i, c]) =>
  document.querySelector(`table.wanpulse-uplinks tr[data-iface="${i}"] .${c}`)?.textContent ?? null, [iface, cls] as const);
const probingText = (b: Browser, iface: string) => b.page.evaluate((i) =>
  document.querySelector(`.wanpulse-uplink[data-iface="${i}"] .wanpulse-probing`)?.textContent ?? null, iface);
const problem = (b: Browser) => b.page.evaluate(() => document.querySelector('#view .wanpulse-problem')?.textContent ?? null);

test('status page and widget follow a real daemon: values, probe rate, cut, graph, stale, stopped, disabled', async () => {
  const why = (await netnsUnavailable(['fping', 'nft'])) ?? (await browserUnavailable());
  if (why) { console.log(`SKIP: LuCI status test skipped because ${why}`); return; }
  let run: DaemonRun | null = null;
  let server: LuciServer | null = null;
  let b: Browser | null = null;
  try {
    run = await startDaemon('wpl');
    const d = run;
    server = await serveLuci({ runDir: d.runDir, configDir: d.configDir });
    b = await launch();
    await b.page.goto(`${server.url}/?view=wanpulse/status`);
    await b.page.waitForSelector('body[data-view-ready]');
    assert.equal(b.errors, [], 'no JavaScript error on load');
    assert.is(await problem(b), null, 'no warning while the daemon runs');

    // the values are the daemon's: names, states, owners, reasons and (rounded) RTT figures
    const snap = d.status()!;
    for (const u of snap.uplinks) {
      assert.is(await badge(b, u.iface), 'online');
      assert.is(await rowText(b, u.iface, 'wanpulse-owner'), 'mwan3');
      assert.is(await rowText(b, u.iface, 'wanpulse-reason'), u.reason);
      assert.match((await rowText(b, u.iface, 'wanpulse-rtt'))!, /^\d+\.\d ms$/);
      const ips = await b.page.evaluate((i) => Array.from(document.querySelectorAll(`.wanpulse-uplink[data-iface="${i}"] .wanpulse-targets tr[data-ip]`)).map((r) => r.getAttribute('data-ip')), u.iface);
      assert.equal(ips, u.targets.map((t) => t.ip));
      // idle: probed at interval_ms (the default 200)
      assert.is(u.probing, 'fast');
      assert.is(await probingText(b, u.iface), 'Probing: every 200 ms to each target');
    }

    // a flow on wan2: after a second of it the daemon probes wan2 once a second, and the page says why
    const stopFlow = d.traffic(2);
    try {
      await d.waitFor('wan2 probed slowly', () => d.status()?.uplinks.find((u) => u.iface === 'wan2')?.probing === 'slow', 10_000);
      await waitFor('the slow rate shown', async () => (await probingText(b!, 'wan2')) === 'Probing: once a second, because its own traffic shows that it is alive', 8000);
      assert.is(await probingText(b, 'wan1'), 'Probing: every 200 ms to each target');
    } finally {
      await stopFlow();
    }
    await waitFor('wan2 back at interval_ms', async () => (await probingText(b!, 'wan2')) === 'Probing: every 200 ms to each target', 15_000);
    const summary = await b.page.textContent('.wanpulse-summary');
    assert.match(summary!, new RegExp(`wanpulse ${snap.version.replace(/\./g, '\\.')}, backend none`));
    assert.match(summary!, /MQTT: not enabled/);

    // cut wan1: the badge turns offline within a few polls, held by wanpulse, with the switch
    await d.cut(1);
    await d.waitFor('wan1 offline in the status file', () => d.status()?.uplinks.find((u) => u.iface === 'wan1')?.state === 'offline');
    await waitFor('wan1 badge offline', async () => (await badge(b!, 'wan1')) === 'offline', 8000);
    assert.is(await badge(b, 'wan2'), 'online');
    assert.is(await rowText(b, 'wan1', 'wanpulse-owner'), 'wanpulse');
    assert.match((await rowText(b, 'wan1', 'wanpulse-reason'))!, /failed rounds: 0\/2 targets answered/);
    await waitFor('the switchover shown', async () => /taken out of rotation .* done in \d+ ms/.test((await b!.page.textContent('.wanpulse-uplink[data-iface="wan1"] .wanpulse-switch')) ?? ''), 8000);
    // backend none changes no routing: no routing time is claimed
    assert.is(d.status()!.uplinks.find((u) => u.iface === 'wan1')!.lastSwitch!.routeMs, undefined);
    assert.not.match((await b.page.textContent('.wanpulse-uplink[data-iface="wan1"] .wanpulse-switch'))!, /routing changed/);
    // the last event shown: wan1's offline (an event of wan2 coming online late may show first)
    await waitFor('wan1\'s offline shown as the last event', async () => /wan1 online → offline/.test((await b!.page.textContent('.wanpulse-event')) ?? ''), 8000);

    // the graph: an RTT line for wan2 and a transition mark to offline on wan1's graph
    await waitFor('graph with a transition', async () => b!.page.evaluate(() =>
      !!document.querySelector('.wanpulse-graph[data-iface="wan2"] path.wanpulse-rtt')
      && !!document.querySelector('.wanpulse-graph[data-iface="wan1"] line.wanpulse-transition[data-to="offline"]')), 10_000);
    const history = JSON.parse(readFileSync(join(d.runDir, 'history.json'), 'utf8')) as { uplinks: { iface: string; state: string }[] };
    assert.match(history.uplinks.find((u) => u.iface === 'wan1')!.state, /o+x+$/);
    assert.ok(await b.page.evaluate(() => document.querySelectorAll('.wanpulse-graph[data-iface="wan1"] rect.wanpulse-loss').length > 0), 'loss bars drawn');

    await d.restore();
    await waitFor('wan1 badge online again', async () => (await badge(b!, 'wan1')) === 'online', 12_000);

    // the overview widget shows the same uplinks
    const w = await launch();
    try {
      await w.page.goto(`${server.url}/?widget=70_wanpulse`);
      await w.page.waitForSelector('body[data-view-ready]');
      const rows = await w.page.evaluate(() => Array.from(document.querySelectorAll('table.wanpulse-widget tr[data-iface]')).map((r) => `${r.getAttribute('data-iface')}:${r.querySelector('.wanpulse-badge')?.getAttribute('data-state')}:${r.querySelector('.wanpulse-probing')?.textContent}`));
      assert.equal(rows.sort(), ['wan1:online:every 200 ms', 'wan2:online:every 200 ms']);
      assert.equal(w.errors, []);
    } finally {
      await w.close();
    }

    // hung daemon (SIGSTOP): the status goes stale
    d.signal('SIGSTOP');
    await waitFor('stale warning', async () => /The status is .* old: the daemon is not updating it/.test((await problem(b!)) ?? ''), 15_000);
    d.signal('SIGCONT');
    await waitFor('warning gone', async () => (await problem(b!)) === null, 10_000);

    // stopped: the file stays, its pid is gone
    d.signal('SIGTERM');
    await waitFor('stopped message', async () => /wanpulse is not running\. What is shown is its last status/.test((await problem(b!)) ?? ''), 15_000);

    // disabled in /etc/config/wanpulse
    const cfg = join(d.configDir, 'wanpulse');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace("option enabled '1'", "option enabled '0'"));
    await waitFor('disabled message', async () => /wanpulse is disabled/.test((await problem(b!)) ?? ''), 10_000);
    assert.equal(b.errors, [], 'no JavaScript error during the run');
    assert.ok(server.calls.includes('wanpulse.history'));
  } finally {
    await b?.close();
    await server?.close();
    await run?.destroy();
  }
});

test.run();
