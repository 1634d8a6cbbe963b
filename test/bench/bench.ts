// `npm run bench`: repeated failovers with random cut phases, false failovers under random loss,
// the daemon's CPU and memory, the bundle size. Figures are printed beside the floor an ideal
// tracker with the same settings could reach, as a markdown table, and written to
// test/bench/results/latest.json. Targets are benchmarked here, never asserted.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, buildBundle, cpuSeconds, daemonRuntime, rssKb, waitStatus } from '../lab/daemon.ts';
import { loss, restore, restoreAll } from '../lab/faults.ts';
import { failover, floors, type FailoverResult, type FaultName, type Range } from '../lab/scenario.ts';
import { startSession, stopSession, type Session } from '../lab/session.ts';
import { DEFAULT_LAB_HEALTH } from '../lab/daemon.ts';
import { sleep } from '../lab/sh.ts';
import { preflight } from '../lab/topology.ts';
import { startClient } from '../lab/traffic.ts';
import { perHour, summarize, type Summary } from './stats.ts';

const USAGE = `usage: npm run bench [-- options]
  --runs N          failovers to measure (default 20)
  --fault KIND      cut | peer-killed | isp-down (default cut)
  --loss-s N        seconds of each random-loss period (default 180)
  --loss-pcts LIST  loss percentages to try on a healthy uplink (default 1,5,20)
  --no-loss         skip the random-loss periods
  --profile NAME    evidence (default: traffic evidence on) | baseline (traffic_evidence 0: probes alone)
  --json FILE       write every figure there (default test/bench/results/latest.json)`;

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

interface LossResult { lossPct: number; durationMs: number; falseFailovers: number; perHour: number }

async function lossPeriod(s: Session, lossPct: number, durationMs: number): Promise<LossResult> {
  const up = s.lab.uplinks[0];
  const f = await loss(up, lossPct);
  // bounded loop: one status poll per second for the whole period
  for (let i = 0; i < Math.ceil(durationMs / 1000) && Date.now() - f.at < durationMs; i++) {
    await sleep(Math.min(1000, durationMs - (Date.now() - f.at)));
    s.status.poll();
  }
  const end = await restore(s.lab, f);
  const fromStatus = s.status.transitions.filter((t) => t.iface === up.name && t.to === 'offline' && t.at >= f.at && t.at <= end).length;
  const fromMqtt = s.mqtt.events().filter((t) => t.iface === up.name && t.to === 'offline' && t.at >= f.at && t.at <= end).length;
  const count = Math.max(fromStatus, fromMqtt);
  // let a possibly offline uplink come back before the next period
  await waitStatus(s.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 30_000);
  return { lossPct, durationMs: end - f.at, falseFailovers: count, perHour: perHour(count, end - f.at) };
}

const fmt = (v: number | null) => (v === null ? '–' : `${Math.round(v)}`);
const row = (name: string, s: Summary, floor?: Range, target?: string) =>
  `| ${name} | ${fmt(s.median)} | ${fmt(s.p95)} | ${fmt(s.max)} | ${floor ? `${floor.min} / ${floor.median} / ${floor.max}` : '–'} | ${target ?? ''} | ${s.n} |`;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help')) { console.log(USAGE); return 0; }
  const why = await preflight();
  if (why) { console.error(`bench: cannot run: ${why}`); return 1; }
  const runs = Math.max(1, Math.min(1000, Number(arg(args, '--runs') ?? 20)));
  const fault = (arg(args, '--fault') ?? 'cut') as FaultName;
  if (!['cut', 'peer-killed', 'isp-down'].includes(fault)) { console.error(`bench: unknown fault ${fault}`); return 2; }
  const lossMs = Number(arg(args, '--loss-s') ?? 180) * 1000;
  const lossPcts = args.includes('--no-loss') ? [] : (arg(args, '--loss-pcts') ?? '1,5,20').split(',').map(Number).filter((n) => n > 0 && n <= 100);

  console.log('bench: building the bundle');
  const bundleBytes = await buildBundle();
  // Cuts come every few seconds, far inside the 300 s flap window: with damping on, each recovery
  // would wait twice as long as the one before. The timing runs measure the undamped tracker;
  // damping itself is covered by the core's tests.
  const profile = arg(args, '--profile') ?? 'evidence';
  if (!['evidence', 'baseline'].includes(profile)) { console.error(`bench: unknown profile ${profile}`); return 2; }
  const session = await startSession({ bundleBytes, health: { ...DEFAULT_LAB_HEALTH, flapWindowS: 0, trafficEvidence: profile !== 'baseline' } });
  console.log(`bench: profile ${profile}`);
  console.log('bench: flap damping off for the timing runs (flap_window_s 0); other settings are the defaults');
  let interrupted = false;
  const onSignal = () => { interrupted = true; console.error('\nbench: interrupted, cleaning up'); void stopSession(session).then(() => process.exit(130)); };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const pid = session.daemon.pid;
    const online = await waitStatus(session.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 15_000);
    if (!online) throw new Error('wanpulse did not report both uplinks online');
    const cpu0 = cpuSeconds(pid);
    const wall0 = Date.now();
    let rssMax = rssKb(pid);
    const rssTimer = setInterval(() => { try { rssMax = Math.max(rssMax, rssKb(pid)); } catch { /* exited */ } }, 1000);

    const results: FailoverResult[] = [];
    for (let i = 0; i < runs && !interrupted; i++) {
      const up = session.lab.uplinks[i % 2]!;
      const client = await startClient(session.lab, { streamOn: up.name, long: true, longOn: up.name });
      await client.waitFor((e) => e.ev === 'via' && e.flow === 'long', 5000);
      await sleep(500 + Math.random() * 1000); // random phase against the probe rounds
      const r = await failover(session, client, up, { fault, holdMs: 500 });
      await session.lab.procs.stop(client.child, 1000);
      results.push(r);
      console.log(`run ${String(i + 1).padStart(3)}/${runs} ${r.uplink} ${fault}: detect ${fmt(r.detectMs)} ms, switch ${fmt(r.switchMs)} ms (route ${fmt(r.routeMs)} ms after the decision), outage ${fmt(r.outageMs)} ms, tcp moved ${fmt(r.tcpMovedMs)} ms, recovery ${fmt(r.recoveryMs)} ms, mqtt event ${fmt(r.mqttMs)} ms (state ${fmt(r.mqttStateMs)} ms)`);
      await restoreAll(session.lab);
      await waitStatus(session.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 15_000);
      await sleep(300);
    }

    const lossResults: LossResult[] = [];
    for (const pct of lossPcts) {
      if (interrupted) break;
      console.log(`loss: ${pct} % on ${session.lab.uplinks[0].name} for ${lossMs / 1000} s`);
      const l = await lossPeriod(session, pct, lossMs);
      lossResults.push(l);
      console.log(`loss: ${pct} %: ${l.falseFailovers} failover(s) in ${(l.durationMs / 1000).toFixed(0)} s (${l.perHour.toFixed(1)} per hour)`);
    }

    clearInterval(rssTimer);
    const cpuPct = ((cpuSeconds(pid) - cpu0) * 1000 / (Date.now() - wall0)) * 100;
    const fl = floors(session.health);
    const pick = (k: keyof FailoverResult) => results.map((r) => r[k] as number | null);
    const sum = {
      detectMs: summarize(pick('detectMs')), switchMs: summarize(pick('switchMs')), routeMs: summarize(pick('routeMs')), outageMs: summarize(pick('outageMs')),
      tcpMovedMs: summarize(pick('tcpMovedMs')), recoveryMs: summarize(pick('recoveryMs')), backInRouteMs: summarize(pick('backInRouteMs')),
      mqttMs: summarize(pick('mqttMs')), mqttStateMs: summarize(pick('mqttStateMs')),
    };
    const runtime = (await daemonRuntime())[0]!.endsWith('tjs') ? 'txiki.js' : `Node.js ${process.version}`;
    const h = session.health;
    const table = [
      `Failover in the lab (${results.length} × ${fault}, random phase; interval ${h.intervalMs} ms, timeout ${h.timeoutMs} ms, down ${h.down}, up ${h.up}; daemon under ${runtime}):`,
      '',
      '| figure (ms) | median | p95 | max | floor min / median / max | target | n |',
      '|---|---|---|---|---|---|---|',
      row('detection (fault → offline decision)', sum.detectMs, fl.detect, 'p95 ≤ 1000'),
      row('switchover (fault → route changed)', sum.switchMs, fl.detect),
      row('decision → route changed (reported by wanpulse)', sum.routeMs, undefined, 'p95 ≤ 20'),
      row('outage seen by a 10 ms UDP stream', sum.outageMs, fl.detect, 'p95 ≤ 1500'),
      row('long-lived TCP flow on the other uplink', sum.tcpMovedMs),
      row('recovery (restore → online decision)', sum.recoveryMs, fl.recovery),
      row('back in the route (restore → route)', sum.backInRouteMs, fl.recovery),
      row('MQTT event after the decision', sum.mqttMs, undefined, '≤ 100'),
      row('MQTT retained uplink state after the decision', sum.mqttStateMs),
      '',
      '| random loss on a healthy uplink | observed | duration | false failovers per hour | target |',
      '|---|---|---|---|---|',
      ...lossResults.map((l) => `| ${l.lossPct} % | ${l.falseFailovers} | ${(l.durationMs / 1000).toFixed(0)} s | ${l.perHour.toFixed(1)} | ${l.lossPct === 5 ? '0' : ''} |`),
      '',
      `| resource | value | target |`,
      '|---|---|---|',
      `| daemon CPU (2 uplinks × 2 targets, % of one core) | ${cpuPct.toFixed(2)} % | ≤ 2 % |`,
      `| daemon RSS (max) | ${(rssMax / 1024).toFixed(1)} MB | |`,
      `| bundle dist/wanpulse.js | ${(bundleBytes / 1024).toFixed(1)} KB | ≤ 150 KB |`,
    ].join('\n');
    console.log('\n' + table);
    const dir = join(ROOT, 'test/bench/results');
    mkdirSync(dir, { recursive: true });
    const file = arg(args, '--json') ?? join(dir, 'latest.json');
    writeFileSync(file, JSON.stringify({
      at: new Date().toISOString(), runtime, profile, health: h, fault, floors: fl, summary: sum, runs: results,
      loss: lossResults, cpuPct, rssMaxKb: rssMax, bundleBytes,
    }, null, 2) + '\n');
    console.log(`\nbench: wrote ${file}`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!interrupted) await stopSession(session);
  }
}

main().then((code) => process.exit(code), (e) => { console.error(`bench: ${(e as Error).stack ?? e}`); process.exit(1); });
