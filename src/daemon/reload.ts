// SIGHUP: a new configuration with the same health history for unchanged interfaces. A config
// with errors keeps the running one; the backend changes only with a restart; an interface that
// left the configuration is handed back; MQTT restarts only when its section changed.
import type { InterfaceConfig } from '../config/types.ts';
import { createCoreState } from '../core/engine.ts';
import type { Platform, Log } from '../platform/ports.ts';
import { loadOrReport } from './startup.ts';
import type { DaemonState } from './state.ts';

export interface ReloadHooks {
  stopProber(name: string): Promise<void>;
  hasProber(name: string): boolean;
  startProber(i: InterfaceConfig): Promise<void>;
  restartMqtt(): Promise<void>;
}

export async function reload(s: DaemonState, p: Platform, log: Log & { setLevel?: (l: 'error' | 'warn' | 'info' | 'debug') => void }, configDir: string, hooks: ReloadHooks): Promise<void> {
  log.info('SIGHUP: reloading configuration');
  const config = await loadOrReport(p, configDir);
  if (!config) { log.error('reload: configuration has errors; keeping the running one'); return; }
  if (config.global.backend !== s.config.global.backend) log.warn(`reload: backend change (${s.config.global.backend} -> ${config.global.backend}) takes effect after a restart`);
  config.global.backend = s.config.global.backend;
  log.setLevel?.(config.global.logLevel);
  const old = new Map(s.config.interfaces.map((i) => [i.name, i]));
  const next = new Map(config.interfaces.map((i) => [i.name, i]));
  for (const [name, i] of old) {
    const n = next.get(name);
    if (n && JSON.stringify(n) === JSON.stringify(i)) continue;
    await hooks.stopProber(name);
    if (!n && s.core.forced.has(name)) s.switcher.request(i, 'up', 'removed from the configuration', p.clock.nowMs());
  }
  const mqttChanged = JSON.stringify(config.mqtt) !== JSON.stringify(s.config.mqtt);
  s.config = config;
  s.core = createCoreState(config, p.clock.nowMs(), s.core);
  for (const [name, i] of next) if (!hooks.hasProber(name)) await hooks.startProber(i);
  if (mqttChanged) await hooks.restartMqtt();
}
