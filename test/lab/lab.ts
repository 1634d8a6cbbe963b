// `npm run lab` (after lab-cli.mjs installed dependencies): builds the bundle, creates the lab,
// starts Mosquitto and wanpulse, tells the story, and tears everything down again — also on
// Ctrl-C, SIGTERM or failure. `--keep` leaves the lab up; `--cleanup` removes kept labs.
import { BASE_TOPIC, BUNDLE, MQTT_PORT, buildBundle } from './daemon.ts';
import { startSession, stopSession, type Session } from './session.ts';
import { runStory } from './story.ts';
import { Timeline } from './timeline.ts';
import { cleanupAll, preflight, type Lab } from './topology.ts';

const USAGE = `usage: npm run lab [-- options]
  --keep          leave the lab running afterwards and print how to explore it
  --cleanup       remove every lab left behind (by --keep or a crash) and exit
  --loss-pct N    random loss of the lossy period (default 5)
  --loss-s N      length of the lossy period in seconds (default 25)
  --log           also show wanpulse's own log lines in the timeline
environment: WANPULSE_BUNDLE=<file> runs another build instead of building dist/wanpulse.js`;

function numberArg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v < 0) { console.error(`lab: ${name} needs a number`); process.exit(2); }
  return v;
}

function explain(lab: Lab, s: Session): void {
  const x = (ns: string, cmd: string) => `ip netns exec ${ns} ${cmd}`;
  console.log(`
The lab is still running (lab ${lab.id}). Explore it:
  ${x(lab.ns.main, `node ${BUNDLE} status --run-dir ${s.daemon.runDir}`)}
  ${x(lab.ns.main, `mosquitto_sub -h 127.0.0.1 -p ${MQTT_PORT} -v -t '${BASE_TOPIC}/#' -t 'homeassistant/#'`)}
  ${x(lab.ns.main, 'ip route show default')}
  ${x(lab.ns.main, 'wg show')}
  ${x(lab.ns.lan, 'ping 203.0.113.10')}
  tail -f ${s.daemon.logFile}
What \`wanpulse setup\` generated for the lab's description (the lab's tunnels are built from it):
  cat ${lab.net?.outDir}/summary.txt
Cut uplink 1 by hand (and undo it):
  ${x(lab.uplinks[0].ns, `nft 'add table ip manual; add chain ip manual f { type filter hook forward priority -20; drop; }'`)}
  ${x(lab.uplinks[0].ns, 'nft delete table ip manual')}
Remove it:
  npm run lab -- --cleanup`);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) { console.log(USAGE); return 0; }
  if (args.includes('--cleanup')) {
    if (process.getuid?.() !== 0) { console.error('lab: --cleanup needs root'); return 1; }
    const n = await cleanupAll((m) => console.log(`lab: ${m}`));
    console.log(n ? `lab: removed ${n} lab(s)` : 'lab: nothing to clean up');
    return 0;
  }
  const why = await preflight();
  if (why) { console.error(`lab: cannot run: ${why}`); return 1; }
  const keep = args.includes('--keep');

  console.log('lab: building the bundle');
  const bundleBytes = await buildBundle();
  const tl = new Timeline(Date.now());
  let session: Session | null = null;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (session) await stopSession(session, keep && code === 0);
    process.exit(code);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => { console.error(`\nlab: ${sig}: cleaning up`); void stop(130); });
  }
  try {
    tl.heading('0. setting up');
    session = await startSession({ timeline: tl, bundleBytes, showDaemonLog: args.includes('--log') });
    const r = await runStory(session, tl, { lossPct: numberArg(args, '--loss-pct', 5), lossMs: numberArg(args, '--loss-s', 25) * 1000 });
    console.log(`\nbundle ${(bundleBytes / 1024).toFixed(1)} KB; settings interval ${session.health.intervalMs} ms, timeout ${session.health.timeoutMs} ms, down ${session.health.down}, up ${session.health.up}`);
    console.log(r.ok ? 'lab: the story went as expected' : 'lab: SOMETHING WENT WRONG (see above)');
    if (keep) explain(session.lab, session);
    const s = session;
    session = null;
    stopping = true;
    await stopSession(s, keep);
    return r.ok ? 0 : 1;
  } catch (e) {
    console.error(`lab: ${(e as Error).stack ?? e}`);
    if (session) { const s = session; session = null; stopping = true; await stopSession(s).catch(() => undefined); }
    return 1;
  }
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
