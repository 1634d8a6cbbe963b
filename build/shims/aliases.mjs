// esbuild `alias` map for the bundle: swaps the Node-only helpers mqtt-packet pulls in for the
// small shims beside this file, so the bundle needs neither `process` nor Node's `stream`, `tty`
// or `util` (txiki.js has none of them), and a small EventEmitter replaces the `events` package.
// `buffer` resolves to its npm package.
import { fileURLToPath } from 'node:url';

const here = (name) => fileURLToPath(new URL(name, import.meta.url));

export const shimAliases = {
  debug: here('./debug.cjs'),
  bl: here('./bl.cjs'),
  'process-nextick-args': here('./process-nextick-args.cjs'),
  events: here('./events.cjs'),
};
