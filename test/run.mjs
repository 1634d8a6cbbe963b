#!/usr/bin/env node
// `npm test`: typecheck, then every uvu file under test/ as its own process (each file runs alone,
// as uvu intends), then the totals as one line "N passed, N failed".
//
// Files named *.net.test.ts need root and network namespaces (real veth, WireGuard, nftables,
// Mosquitto); they run one at a time after the unit tests. `--unit` runs only the others.
// Usage: node test/run.mjs [--unit] [--no-typecheck] [filter…]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { declaredCommands, problemWith } from './support/programs.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const unitOnly = argv.includes('--unit');
const noTypecheck = argv.includes('--no-typecheck');
const filters = argv.filter((a) => !a.startsWith('--'));
const FILE_TIMEOUT_MS = Number(process.env.WANPULSE_TEST_FILE_TIMEOUT_MS ?? 600_000);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

// First run of a fresh clone: install what the project's own files say it needs.
function ensureInstalled() {
  const r = spawnSync('node', [join(root, 'build/ensure-deps.mjs'), '--for', unitOnly ? 'unit' : 'test'], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('test: installing dependencies failed (see above)');
    process.exit(1);
  }
}

const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

// Every test process (and every Node process it starts) records the programs it spawns; after the
// file ran, each must be declared in build/deps-debian.txt and installed (test/support/programs.mjs).
const GUARD = pathToFileURL(join(root, 'test/support/spawn-guard.mjs')).href;
const spawnLogs = mkdtempSync(join(tmpdir(), 'wanpulse-spawnlog-'));
let fileNo = 0;
let declared = null;

function undeclaredPrograms(logFile) {
  if (!existsSync(logFile)) return [];
  declared ??= declaredCommands();
  const names = [...new Set(readFileSync(logFile, 'utf8').split('\n').filter(Boolean))];
  return names.map((n) => problemWith(n, declared)).filter(Boolean);
}

function runFile(file) {
  return new Promise((resolve) => {
    const started = Date.now();
    const spawnLog = join(spawnLogs, `${++fileNo}.log`);
    const nodeOptions = `${process.env.NODE_OPTIONS ?? ''} --import=${GUARD}`.trim();
    const child = spawn(process.execPath, ['--import', GUARD, '--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', WANPULSE_SPAWN_LOG: spawnLog, NODE_OPTIONS: nodeOptions },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b) => { out += b; });
    child.stderr.on('data', (b) => { out += b; });
    const timer = setTimeout(() => { out += `\n[test/run] ${file} killed after ${FILE_TIMEOUT_MS} ms\n`; child.kill('SIGKILL'); }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      let text = strip(out);
      const undeclared = undeclaredPrograms(spawnLog);
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
      let p = 0;
      let f = 0;
      if (Number.isNaN(total) || Number.isNaN(passed)) f = 1; // crashed before uvu's summary
      else { p = passed; f = total - passed - skipped; if (code !== 0 && f === 0) f = 1; }
      if (undeclared.length) {
        f += 1;
        text += `\n[test/run] this file ${undeclared.join('; ')}\n`;
      }
      resolve({ file, code, p, f, skipped, text, ms: Date.now() - started });
    });
  });
}

async function main() {
  ensureInstalled();
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  if (!noTypecheck) {
    const t = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--noEmit'], { encoding: 'utf8' });
    if (t.status === 0) { passed++; console.log('ok   typecheck'); } else { failed++; console.log('FAIL typecheck\n' + t.stdout + t.stderr); }
  }
  let files = findTests(join(root, 'test'));
  if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
  const unit = files.filter((f) => !f.endsWith('.net.test.ts'));
  const net = unitOnly ? [] : files.filter((f) => f.endsWith('.net.test.ts'));
  const report = (r) => {
    const name = relative(root, r.file);
    passed += r.p; failed += r.f; skipped += r.skipped;
    const failedHere = r.f > 0;
    console.log(`${failedHere ? 'FAIL' : 'ok  '} ${name}  (${r.p} passed${r.f ? `, ${r.f} failed` : ''}${r.skipped ? `, ${r.skipped} skipped` : ''}, ${(r.ms / 1000).toFixed(1)} s)`);
    if (failedHere || process.env.VERBOSE) console.log(r.text.split('\n').map((l) => '    ' + l).join('\n'));
    else for (const l of r.text.split('\n')) if (/\bSKIP\b|skipped because/.test(l)) console.log('    ' + l);
  };
  // unit files two at a time (2 cores), network files one at a time
  const queue = [...unit];
  const workers = [0, 1].map(async () => {
    while (queue.length) report(await runFile(queue.shift()));
  });
  await Promise.all(workers);
  for (const f of net) report(await runFile(f));
  rmSync(spawnLogs, { recursive: true, force: true });
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
}

main().catch((e) => { console.error(e); console.log('\n0 passed, 1 failed'); process.exit(1); });
