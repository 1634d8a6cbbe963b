// Loaded into every test process (node --import, and NODE_OPTIONS for the Node processes tests
// start): records each program spawned through node:child_process into $WANPULSE_SPAWN_LOG, one
// name a line, so test/run.mjs can check them against build/deps-debian.txt. It changes nothing
// about the spawn itself.
import { appendFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { programsOf } from './programs.mjs';

const log = process.env.WANPULSE_SPAWN_LOG;
if (log) {
  const require = createRequire(import.meta.url);
  const cp = require('node:child_process');
  const seen = new Set();
  const record = (file, args) => {
    try {
      for (const name of programsOf(file, Array.isArray(args) ? args : [])) {
        if (seen.has(name)) continue;
        seen.add(name);
        appendFileSync(log, name + '\n');
      }
    } catch { /* recording must never break a test */ }
  };
  for (const fn of ['spawn', 'spawnSync', 'execFile', 'execFileSync']) {
    const orig = cp[fn];
    cp[fn] = function guarded(file, args, ...rest) {
      record(file, args);
      return orig.call(this, file, args, ...rest);
    };
  }
  for (const fn of ['exec', 'execSync']) {
    const orig = cp[fn];
    cp[fn] = function guarded(command, ...rest) {
      record('sh', []);
      return orig.call(this, command, ...rest);
    };
  }
  syncBuiltinESMExports();
}
