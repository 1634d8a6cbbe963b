// Entry point of the bundle: pick the runtime's platform adapter, run the CLI.
// Under txiki.js (`tjs run wanpulse.js`) the global `tjs` exists; otherwise this is Node.js.
import { cli } from './cli.ts';
import type { Platform } from './platform/ports.ts';

async function platform(): Promise<Platform> {
  if (typeof (globalThis as { tjs?: unknown }).tjs !== 'undefined') {
    const { txikiPlatform } = await import('./platform/txiki.ts');
    return txikiPlatform();
  }
  const { nodePlatform } = await import('./platform/node.ts');
  return nodePlatform();
}

const p = await platform();
// One top-level catch. An unhandled rejection must not end the daemon (txiki.js exits on it
// unless a listener prevents that): log it and keep running.
globalThis.addEventListener?.('unhandledrejection', (ev: Event) => {
  ev.preventDefault();
  p.write('stderr', `wanpulse: error: unhandled: ${String((ev as PromiseRejectionEvent).reason?.stack ?? (ev as PromiseRejectionEvent).reason)}\n`);
});
if (p.runtime === 'node') {
  const proc = (globalThis as unknown as { process: { on(e: string, f: (e: unknown) => void): void } }).process;
  proc.on('unhandledRejection', (e) => p.write('stderr', `wanpulse: error: unhandled: ${String((e as Error)?.stack ?? e)}\n`));
}
try {
  const code = await cli(p);
  if (code !== undefined) p.exit(code);
} catch (e) {
  p.write('stderr', `wanpulse: fatal: ${String((e as Error)?.stack ?? e)}\n`);
  p.exit(70);
}
