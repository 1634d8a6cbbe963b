// `npm run bench`: the lab's scenarios (test/lab/scenarios.ts) — failovers at random phases, and
// long periods on a working but bad uplink — for the new algorithm (profile `evidence`) and the
// baseline (`baseline`: traffic_evidence 0) in one run, one session after the other. Figures are
// printed beside the floor an ideal tracker with the same settings could reach and the target,
// as markdown (test/bench/table.ts), and written to test/bench/results/latest.json. Targets are
// benchmarked here, never asserted.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LAB_HEALTH, ROOT, buildBundle, daemonRuntime, rssKb, waitStatus } from '../lab/daemon.ts';
import { failoverFloors, type Profile } from '../lab/floors.ts';
import { installProbeCounters } from '../lab/probe-count.ts';
import type { FaultName } from '../lab/scenario.ts';
import { DEFAULT_SCENARIO_OPTIONS, SCENARIO_NAMES, SETTLE_MS, UNDER_TEST, runScenario, type ScenarioName, type ScenarioOptions, type ScenarioResult } from '../lab/scenarios.ts';
import { startSession, stopSession, type Session } from '../lab/session.ts';
import { preflight } from '../lab/topology.ts';
import { markdown, summaries } from './table.ts';

const USAGE = `usage: npm run bench [-- options]
  --scenario NAME   run only this scenario (repeatable, or a comma list); default all:
                    ${SCENARIO_NAMES.join(', ')}
  --profile NAME    only evidence (traffic evidence on) or baseline (traffic_evidence 0: probes
                    alone); default both, one after the other
  --runs N          failovers per failover scenario (default ${DEFAULT_SCENARIO_OPTIONS.runs})
  --fault KIND      the fault of cut-idle and cut-busy: cut | peer-killed | isp-down (default cut)
  --loss-s N        seconds of each loss scenario (default ${DEFAULT_SCENARIO_OPTIONS.lossMs / 1000}; 3600 for the issue's hour)
  --upload-s N      seconds of each saturated upload (saturated-upload, slow-upload; default ${DEFAULT_SCENARIO_OPTIONS.uploadMs / 1000})
  --spike-s N       seconds the RTT spike is held after its ramp (default ${DEFAULT_SCENARIO_OPTIONS.spikeMs / 1000})
  --steady-s N      seconds of steady-traffic, a flow on a healthy uplink (default ${DEFAULT_SCENARIO_OPTIONS.steadyMs / 1000})
  --no-loss         leave out the loss scenarios
  --json FILE       write every figure there (default test/bench/results/latest.json)`;

/** Every value of a repeatable option (each may be a comma list). */
function args(argv: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length - 1; i++) if (argv[i] === name) out.push(...argv[i + 1]!.split(',').map((x) => x.trim()).filter(Boolean));
  return out;
}
const arg = (argv: string[], name: string) => args(argv, name).at(-1);

function seconds(argv: string[], name: string, dfltMs: number): number {
  const v = arg(argv, name);
  if (v === undefined) return dfltMs;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 24 * 3600) throw new Error(`${name} needs seconds (0 < N ≤ 86400), not ${v}`);
  return n * 1000;
}

interface Parsed { scenarios: ScenarioName[]; profiles: Profile[]; o: Omit<ScenarioOptions, 'log' | 'stopped'>; json: string | undefined }

function parse(argv: string[]): Parsed {
  const asked = args(argv, '--scenario');
  const unknown = asked.filter((n) => !(SCENARIO_NAMES as readonly string[]).includes(n));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')} (known: ${SCENARIO_NAMES.join(', ')})`);
  let scenarios = (asked.length ? SCENARIO_NAMES.filter((n) => asked.includes(n)) : [...SCENARIO_NAMES]) as ScenarioName[];
  if (argv.includes('--no-loss')) scenarios = scenarios.filter((n) => !n.startsWith('loss-'));
  const p = arg(argv, '--profile');
  if (p !== undefined && p !== 'evidence' && p !== 'baseline') throw new Error(`unknown profile ${p} (evidence | baseline)`);
  const fault = (arg(argv, '--fault') ?? 'cut') as FaultName;
  if (!['cut', 'peer-killed', 'isp-down'].includes(fault)) throw new Error(`unknown fault ${fault}`);
  const runs = Number(arg(argv, '--runs') ?? DEFAULT_SCENARIO_OPTIONS.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 1000) throw new Error('--runs needs a whole number 1…1000');
  return {
    scenarios, profiles: p ? [p] : ['evidence', 'baseline'], json: arg(argv, '--json'),
    o: { ...DEFAULT_SCENARIO_OPTIONS, runs, fault, lossMs: seconds(argv, '--loss-s', DEFAULT_SCENARIO_OPTIONS.lossMs),
      uploadMs: seconds(argv, '--upload-s', DEFAULT_SCENARIO_OPTIONS.uploadMs), spikeMs: seconds(argv, '--spike-s', DEFAULT_SCENARIO_OPTIONS.spikeMs),
      steadyMs: seconds(argv, '--steady-s', DEFAULT_SCENARIO_OPTIONS.steadyMs) },
  };
}

const r0 = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${Math.round(v)}`);

/** One line per finished scenario, as the bench goes. */
function brief(r: ScenarioResult): string {
  const settled = r.probes.settled?.perUplink[UNDER_TEST]?.requestsPerS;
  const slow = r.endurance?.probing ? `, probing slow ${Math.round(r.endurance.probing.slowShare * 100)} % of the time (first after ${r0(r.endurance.probing.firstSlowMs)} ms)` : '';
  const probes = `probes/s under test ${r.probes.steady.perUplink[UNDER_TEST]?.requestsPerS.toFixed(1) ?? '–'}${settled === undefined ? '' : ` (${settled.toFixed(2)} from ${SETTLE_MS / 1000} s on)`}${slow}, CPU ${r.cpuPct.toFixed(2)} %`;
  if (r.endurance) {
    const e = r.endurance;
    const q = e.queue ? `, queue median ${r0(e.queue.medianMs)} ms max ${r0(e.queue.maxMs)} ms` : '';
    return `${r.scenario} (${r.profile}): ${e.offline} offline, ${e.degraded} degraded in ${(e.durationMs / 1000).toFixed(0)} s${q}; ${probes}`;
  }
  const s = summaries([r])[r.scenario]?.[r.profile];
  return `${r.scenario} (${r.profile}): detection p95 ${r0(s?.detectMs?.p95)} ms, outage p95 ${r0(s?.outageMs?.p95)} ms; ${probes}`;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) { console.log(USAGE); return 0; }
  let parsed: Parsed;
  try { parsed = parse(argv); } catch (e) { console.error(`bench: ${(e as Error).message}\n${USAGE}`); return 2; }
  const why = await preflight();
  if (why) { console.error(`bench: cannot run: ${why}`); return 1; }
  const { scenarios, profiles, o } = parsed;

  console.log('bench: building the bundle');
  const bundleBytes = await buildBundle();
  const runtime = (await daemonRuntime())[0]!.endsWith('tjs') ? 'txiki.js' : `Node.js ${process.version}`;
  const results: ScenarioResult[] = [];
  const rssMaxKb: Partial<Record<Profile, number>> = {};
  let targetsPerUplink = 0;
  let session: Session | null = null;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    console.error('\nbench: interrupted, cleaning up');
    void (session ? stopSession(session) : Promise.resolve()).then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    for (const profile of profiles) {
      if (interrupted) break;
      // Cuts come every few seconds, far inside the 300 s flap window: with damping on, each
      // recovery would wait twice as long as the one before. The timing runs measure the
      // undamped tracker; damping itself is covered by the core's tests.
      const s = session = await startSession({ bundleBytes, health: { ...DEFAULT_LAB_HEALTH, flapWindowS: 0, trafficEvidence: profile !== 'baseline' } });
      targetsPerUplink = s.lab.net?.tunnels[0]?.trackIps.length ?? 2;
      console.log(`bench: profile ${profile} (traffic_evidence ${profile === 'baseline' ? 0 : 1}); flap damping off (flap_window_s 0), other settings the defaults`);
      if (!await waitStatus(s.daemon, (st) => st.uplinks.every((u) => u.state === 'online'), 15_000)) throw new Error('wanpulse did not report both uplinks online');
      await installProbeCounters(s.lab);
      let rss = rssKb(s.daemon.pid);
      const rssTimer = setInterval(() => { try { rss = Math.max(rss, rssKb(s.daemon.pid)); } catch { /* exited */ } }, 1000);
      try {
        for (const name of scenarios) {
          if (interrupted) break;
          console.log(`${name} (${profile}):`);
          const r = await runScenario(s, name, profile, { ...o, log: (l) => console.log(l), stopped: () => interrupted });
          results.push(r);
          console.log(brief(r));
        }
      } finally {
        clearInterval(rssTimer);
        rssMaxKb[profile] = rss;
      }
      if (!interrupted) await stopSession(s);
      session = null;
    }
    if (interrupted) return 130;

    const h = DEFAULT_LAB_HEALTH;
    console.log('\n' + markdown(results, { ...h, runtime, targetsPerUplink, rssMaxKb, bundleBytes }));
    const dir = join(ROOT, 'test/bench/results');
    mkdirSync(dir, { recursive: true });
    const file = parsed.json ?? join(dir, 'latest.json');
    writeFileSync(file, JSON.stringify({
      at: new Date().toISOString(), runtime, health: h, profiles, scenarios,
      options: { runs: o.runs, fault: o.fault, lossMs: o.lossMs, uploadMs: o.uploadMs, spikeMs: o.spikeMs, spikeRampMs: o.spikeRampMs,
        spikeRttMs: o.spikeRttMs, rateKbit: o.rateKbit, slowRateKbit: o.slowRateKbit, queueMs: o.queueMs, uploadKbit: o.uploadKbit },
      floors: Object.fromEntries(profiles.map((p) => [p, { idle: failoverFloors(h, p, 'idle'), busy: failoverFloors(h, p, 'busy'), saturated: failoverFloors(h, p, 'saturated') }])),
      summary: summaries(results), results, rssMaxKb, bundleBytes,
    }, null, 2) + '\n');
    console.log(`\nbench: wrote ${file}`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (session && !interrupted) await stopSession(session);
  }
}

main().then((code) => process.exit(code), (e) => { console.error(`bench: ${(e as Error).stack ?? e}`); process.exit(1); });
