// The sub-commands: run, status, check-config, handback, setup, --version.
import { Daemon } from './daemon/daemon.ts';
import { createBackend, EXIT_CONFIG, EXIT_OK, loadOrReport } from './daemon/startup.ts';
import { formatProblems, loadConfig, summarizeProblems } from './config/load.ts';
import { makeLog } from './platform/log.ts';
import type { Platform } from './platform/ports.ts';
import type { Config } from './config/types.ts';
import { DEFAULT_GLOBAL, DEFAULT_MQTT } from './config/defaults.ts';
import { VERSION } from './version.ts';
import { parseArgs, USAGE } from './cli-args.ts';

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
      // a chunk of its own (dist/wanpulse-status.js), like setup
      const { runStatus } = await import('./status/command.ts');
      return runStatus(p, parsed.runDir, parsed.json, out, err);
    }
    case 'check-config': {
      // no spawner: checking must not depend on ubus/netifd being up
      const { config, problems } = await loadConfig({ fs: p.fs }, parsed.configDir, { hostname: p.hostname() });
      if (problems.length) out(formatProblems(problems));
      if (!config) { err(`wanpulse: ${summarizeProblems(problems)}`); return EXIT_CONFIG; }
      const warned = problems.length ? ` with ${problems.length} warning${problems.length === 1 ? '' : 's'}` : '';
      out(`configuration OK${warned}: backend ${config.global.backend}, ${config.interfaces.length} tracked interface(s): ${config.interfaces.map((i) => `${i.name} [${i.trackIps.join(' ')}]`).join(', ') || 'none'}`);
      return EXIT_OK;
    }
    case 'handback': {
      let config = await loadOrReport(p, parsed.configDir);
      if (!config) {
        // Stop and package removal run this: a broken config must not keep an uplink forced
        // offline. mwan3's hand-back needs only the ownership record (names and devices).
        if (!(await p.fs.exists(`${parsed.runDir}/owned.json`))) {
          err('wanpulse: configuration has errors and there is no mwan3 ownership record: nothing handed back');
          return EXIT_CONFIG;
        }
        log.warn('configuration has errors: handing back from the ownership record alone');
        config = fallbackConfig();
      }
      const backend = createBackend(p, log, config, parsed.runDir);
      await backend.start(config.interfaces); // hands back what the ownership record holds
      await backend.stop();
      out('handed back every interface wanpulse held');
      return EXIT_OK;
    }
    case 'setup': {
      // a chunk of its own (dist/wanpulse-setup.js): the daemon's bundle never carries it
      const { runSetup } = await import('./setup/command.ts');
      const dir = parsed.configDir === '/etc/config' ? [] : ['--config-dir', parsed.configDir];
      return runSetup(p, [...dir, ...parsed.rest]);
    }
    case '':
      err(USAGE);
      return 64;
    default:
      err(`wanpulse: unknown command ${parsed.command}\n\n${USAGE}`);
      return 64;
  }
}

/** Just enough configuration for the mwan3 backend to hand back what its record holds: the
 *  defaults, backend mwan3, no draining (there is nothing to drain on the way back). */
function fallbackConfig(): Config {
  return {
    global: { ...DEFAULT_GLOBAL, backend: 'mwan3', drain: false, drainOnRecovery: false },
    interfaces: [],
    policies: [],
    mqtt: { ...DEFAULT_MQTT, enabled: false, clientId: '', baseTopic: '' },
  };
}
