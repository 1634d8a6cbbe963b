// The `none` backend: observe and publish only. Every call succeeds and changes nothing, so the
// daemon can run beside any routing setup (or before one is trusted) and still report health.
import type { Log } from '../platform/ports.ts';
import type { Backend, SwitchResult } from './backend.ts';

const done = (): SwitchResult => ({ ok: true, steps: [] });

export function createNoneBackend(log: Log): Backend {
  return {
    name: 'none',
    async start(ifaces) {
      log.debug(() => `none backend: observe and publish only (${ifaces.map((i) => i.name).join(', ') || 'no interfaces'}); routing is left alone`);
    },
    async takeDown(iface, reason) {
      log.debug(() => `none backend: would take ${iface.name} out of rotation (${reason})`);
      return done();
    },
    async bringUp(iface, reason) {
      log.debug(() => `none backend: would put ${iface.name} back into rotation (${reason})`);
      return done();
    },
    async reconcile() {
      return { offlineByMwan3: [], repaired: [] };
    },
    async stop() {
      log.debug(() => 'none backend: nothing to hand back');
    },
  };
}
