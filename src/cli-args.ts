// Command-line arguments of `wanpulse`: pure parsing, no IO.

export const USAGE = `usage: wanpulse <command> [options]

commands:
  run            run the daemon (procd starts this)
  status         show every uplink: state, since, RTT, jitter, loss, targets, owner
  check-config   validate /etc/config/wanpulse and /etc/config/mwan3; exit 1 on errors
  handback       hand every interface wanpulse holds back to mwan3 (or the route) and exit
  setup          the whole multi-uplink network from one description (wanpulse setup --help)

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
  /** setup: its own arguments (everything after the word setup) */
  rest: string[];
}

export function parseArgs(args: string[]): CliArgs | string {
  const out: CliArgs = { command: '', configDir: '/etc/config', runDir: '/var/run/wanpulse', json: false, rest: [] };
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
      else if (a === 'setup' && !out.command) { out.command = a; out.rest = args.slice(i + 1); break; }
      else if (!a.startsWith('-') && !out.command) out.command = a;
      else return `unknown argument: ${a}`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  return out;
}
