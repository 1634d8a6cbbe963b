// A stand-in for txiki.js's `tjs` global, for contract tests of src/platform/txiki.ts (txiki.js
// cannot be installed here). Files are the real filesystem, seen through the shapes txiki.js v26
// returns (stat getters, FileHandle.read → null at the end); spawn records every call and starts
// nothing, and throws ENOENT like the runtime does, so a test can prove it was never reached.
import { spawn as nodeSpawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { Tjs, TjsFileHandle, TjsProcess, TjsSpawnOptions, TjsStat } from '../../src/platform/txiki-api.d.ts';

export interface SpawnCall { args: string[]; opts?: TjsSpawnOptions }

function errno(e: unknown): Error & { code: string } {
  const err = new Error('') as Error & { code: string };
  err.code = String((e as { code?: string }).code ?? 'EIO');
  return err;
}

/** A process that printed `stdout` and exited with `code`. */
export function fakeProcess(stdout: string, code = 0): TjsProcess {
  const bytes = new TextEncoder().encode(stdout);
  const stream = () => new ReadableStream<Uint8Array>({ start(c) { if (bytes.length) c.enqueue(bytes); c.close(); } });
  return {
    pid: 4242,
    stdout: stream(),
    stderr: new ReadableStream<Uint8Array>({ start(c) { c.close(); } }),
    stdin: null,
    kill() { /* nothing runs */ },
    wait: async () => ({ exit_status: code, term_signal: null }),
  };
}

/** A real process started the way tjs.spawn would (stdin never a pipe: the adapter asks for none),
 *  its output as web streams. */
export function realProcess(args: string[], o?: TjsSpawnOptions): TjsProcess {
  const mode = (m: string | undefined) => (m === 'ignore' ? 'ignore' : m === 'inherit' ? 'inherit' : 'pipe');
  const child = nodeSpawn(args[0]!, args.slice(1), { env: o?.env, cwd: o?.cwd, stdio: ['ignore', mode(o?.stdout), mode(o?.stderr)] });
  const exit = new Promise<{ exit_status: number; term_signal: string | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ exit_status: code ?? 0, term_signal: signal }));
  });
  const web = (r: Readable | null) => (r ? (Readable.toWeb(r) as unknown as ReadableStream<Uint8Array>) : null);
  return {
    pid: child.pid ?? 0,
    stdout: web(child.stdout),
    stderr: web(child.stderr),
    stdin: null,
    kill(signal) { child.kill((signal ?? 'SIGTERM') as NodeJS.Signals); },
    wait: () => exit,
  };
}

/** txiki.js's FileHandle over a Node one (write at an offset, read → null at the end) */
function handle(fh: fsp.FileHandle): TjsFileHandle {
  return {
    async read(buf, position) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, position ?? null);
      return bytesRead === 0 ? null : bytesRead;
    },
    async write(data, offset) { return (await fh.write(data, 0, data.length, offset ?? null)).bytesWritten; },
    async sync() { await fh.sync(); },
    async close() { await fh.close(); },
  };
}

export function fakeTjs(opts: { env?: Record<string, string>; answer?: (args: string[], o?: TjsSpawnOptions) => TjsProcess } = {}): Tjs & { spawns: SpawnCall[]; gcRuns: { n: number } } {
  const spawns: SpawnCall[] = [];
  const gcRuns = { n: 0 };
  const stat = async (path: string): Promise<TjsStat> => {
    try {
      const st = await fsp.stat(path);
      return {
        isFile: st.isFile(), isDirectory: st.isDirectory(), isFIFO: st.isFIFO(), isCharacterDevice: st.isCharacterDevice(),
        isBlockDevice: st.isBlockDevice(), isSocket: st.isSocket(), mode: st.mode, size: st.size,
      };
    } catch (e) { throw errno(e); }
  };
  return {
    spawns,
    args: ['tjs', 'run', 'wanpulse.js'],
    env: opts.env ?? { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    pid: 1234,
    hostName: 'router',
    system: { uptime: 100 },
    spawn(args, o) {
      spawns.push({ args: [...args], opts: o });
      if (opts.answer) return opts.answer(args, o);
      const err = new Error('') as Error & { code: string };
      err.code = 'ENOENT';
      throw err;
    },
    kill() { /* no processes */ },
    addSignalListener() { /* no signals */ },
    async readFile(path) { return new Uint8Array(await fsp.readFile(path)); },
    async open(path, flags): Promise<TjsFileHandle> {
      try { return handle(await fsp.open(path, flags)); } catch (e) { throw errno(e); }
    },
    async makeTempFile(template) {
      if (!template.endsWith('XXXXXX')) throw errno({ code: 'EINVAL' });
      const path = template.slice(0, -6) + Math.random().toString(36).slice(2, 8).padEnd(6, '0');
      // mkstemp: created exclusively, mode 0600
      try { return { ...handle(await fsp.open(path, 'wx', 0o600)), path }; } catch (e) { throw errno(e); }
    },
    async makeTempDir(template) {
      if (!template.endsWith('XXXXXX')) throw errno({ code: 'EINVAL' });
      try { return await fsp.mkdtemp(template.slice(0, -6)); } catch (e) { throw errno(e); }
    },
    async rename(a, b) { await fsp.rename(a, b); },
    stat,
    async makeDir(path, o) { try { await fsp.mkdir(path, o); } catch (e) { throw errno(e); } },
    async remove(path) { try { await fsp.rm(path, { recursive: true }); } catch (e) { throw errno(e); } },
    async readDir(path) {
      const names = await fsp.readdir(path);
      return (async function* () { for (const name of names) yield { name }; })();
    },
    async connect() { throw new Error('no network in the fake'); },
    exit(code): never { throw new Error(`exit ${code}`); },
    engine: { gc: { run() { gcRuns.n++; } } },
    gcRuns,
  };
}
