// esbuild `alias` map for the bundle: swaps the Node-only helpers mqtt-packet pulls in for the
// small shims beside this file, so the bundle needs neither `process` nor Node's `stream`, `tty`
// or `util` (txiki.js has none of them), a small EventEmitter replaces the `events` package, and
// a Uint8Array-based Buffer with just the methods mqtt-packet and bl call replaces the npm `buffer`
// polyfill (txiki.js has no Buffer global). The alias also applies inside node_modules, so bl's
// BufferList.js, which bl.cjs requires by path, gets the same Buffer.
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));

export const shimAliases = {
  debug: here('./debug.cjs'),
  bl: here('./bl.cjs'),
  'process-nextick-args': here('./process-nextick-args.cjs'),
  events: here('./events.cjs'),
  buffer: here('./buffer.cjs'),
};
