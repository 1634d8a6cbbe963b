// The sub-commands: run, status, check-config, handback, --version.
import { createBackend, Daemon, EXIT_CONFIG, EXIT_OK, loadOrReport } from './daemon.ts';
import { formatProblems, loadConfig } from './config/load.ts';
import { makeLog } from './platform/log.ts';
import type { Platform } from './platform/ports.ts';
import type { StatusSnapshot } from './status/model.ts';
import { renderStatus } from './status/render.ts';
import { VERSION } from './version.ts';

const USAGE = `usage: wanpulse <command> [options]

commands:
  run            run the daemon (procd starts this)
  status         show every uplink: state, since, RTT, jitter, loss, targets, owner
  check-config   validate /etc/config/wanpulse and /etc/config/mwan3; exit 1 on errors
  handback       hand every interface wanpulse holds back to mwan3 (or the route) and exit

options:
  --config-dir DIR   UCI files (default /etc/config)
  --run-dir DIR      status, ownership record, pid files (default /var/run/wanpulse)
  --json             status: print the status file as JSON
  --version          print the version
`;

export interface CliArgs {
  command: string;
  configDir: string;
  runDir: string;
  json: boolean;
}

export function parseArgs(args: string[]): CliArgs | string {
  const out: CliArgs = { command: '', configDir: '/etc/config', runDir: '/var/run/wanpulse', json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--config-dir') out.configDir = value();
      else if (a === '--run-dir') out.runDir = value();
      else if (a.startsWith('--config-dir=')) out.configDir = a.slice(13);
      else if (a.startsWith('--run-dir=')) out.runDir = a.slice(10);
      else if (a === '--json') out.json = true;
      else if (a === '--version' || a === '-v') out.command = 'version';
      else if (a === '--help' || a === '-h' || a === 'help') out.command = 'help';
      else if (!a.startsWith('-') && !out.command) out.command = a;
      else return `unknown argument: ${a}`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  return out;
}

export async function cli(p: Platform): Promise<number | undefined> {
  const parsed = parseArgs(p.args);
  const err = (t: string) => p.write('stderr', t.endsWith('\n') ? t : `${t}\n`);
  const out = (t: string) => p.write('stdout', t.endsWith('\n') ? t : `${t}\n`);
  if (typeof parsed === 'string') { err(`wanpulse: ${parsed}\n\n${USAGE}`); return 64; }
  const log = makeLog('info', (l) => err(l), 'wanpulse: ');
  switch (parsed.command) {
    case 'version':
      out(`wanpulse ${VERSION} (${p.runtime})`);
      return EXIT_OK;
    case 'help':
      out(USAGE);
      return EXIT_OK;
    case 'run':
      return new Daemon(p, log, { configDir: parsed.configDir, runDir: parsed.runDir }).start();
    case 'status': {
      const text = await p.fs.readText(`${parsed.runDir}/status.json`);
      if (text === null) { err(`wanpulse: no status at ${parsed.runDir}/status.json: is the daemon running? (service wanpulse status; logread -e wanpulse)`); return 3; }
      if (parsed.json) { out(text.trimEnd()); return EXIT_OK; }
      let snap: StatusSnapshot;
      try { snap = JSON.parse(text) as StatusSnapshot; } catch { err('wanpulse: the status file is not valid JSON'); return 3; }
      out(renderStatus(snap, p.clock.wallMs()));
      return EXIT_OK;
    }
    case 'check-config': {
      const { config, problems } = await loadConfig({ fs: p.fs, spawner: p.spawner }, parsed.configDir, { hostname: p.hostname() });
      if (problems.length) out(formatProblems(problems));
      if (!config) { err(`wanpulse: ${problems.filter((x) => x.severity === 'error').length} error(s) in the configuration`); return EXIT_CONFIG; }
      out(`configuration ok: backend ${config.global.backend}, ${config.interfaces.length} tracked interface(s): ${config.interfaces.map((i) => `${i.name} [${i.trackIps.join(' ')}]`).join(', ') || 'none'}`);
      return EXIT_OK;
    }
    case 'handback': {
      const config = await loadOrReport(p, log, parsed.configDir);
      if (!config) return EXIT_CONFIG;
      const backend = createBackend(p, log, config, parsed.runDir);
      await backend.start(config.interfaces); // hands back what the ownership record holds
      await backend.stop();
      out('handed back every interface wanpulse held');
      return EXIT_OK;
    }
    case '':
      err(USAGE);
      return 64;
    default:
      err(`wanpulse: unknown command ${parsed.command}\n\n${USAGE}`);
      return 64;
  }
}
