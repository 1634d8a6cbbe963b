// txiki.js v26 adapter for the ports: what runs on the router. Thin on purpose: txiki.js is not in
// the package registries, so this is kept exact by the typechecker against txiki-api.d.ts and by
// contract tests (test/platform/txiki.test.ts) that pass a fake `tjs` object to the factory.
import { guarded, lastLine, lineSplitter } from './lines.ts';
import type {
  ByteStream, ChildProcess, Clock, ConnectOptions, ExitStatus, FileSystem, Platform, RunOptions, RunResult, Spawner,
} from './ports.ts';
import { RUN_PIPE_GRACE_MS } from './ports.ts';
import { ProgramResolver, type ProgramFacts } from './program.ts';
import { DEFAULT_MAX_READ_BYTES, fromSystemError, isMissing, notRegular, polledFile, readAllText } from './read-file.ts';
import type { Tjs, TjsFileHandle, TjsOpenedSocket, TjsProcess, TjsTcpSocketConstructor } from './txiki-api.d.ts';
import { Utf8Decoder } from './utf8.ts';

const encoder = new TextEncoder();

const clock: Clock = {
  nowMs: () => performance.now(),
  wallMs: () => Date.now(),
  setTimer: (ms, fn) => ({ id: setTimeout(guarded(fn), Math.max(0, ms)) }),
  clearTimer: (h) => clearTimeout(h.id as number),
};

/** Reads per reader before a fresh one is taken (see eachChunk). */
export const READS_PER_READER = 256;

/** Reads a byte stream to its end, chunk by chunk. txiki.js's streams (web-streams-polyfill) keep
 *  one array slot per read() in the reader's request queue until 16384 reads have filled it, so
 *  fping's stdout, read for the daemon's life, grew the heap by up to ~0.4 MB per stream before the
 *  array was dropped (docs/txiki.md, "Memory"). A fresh reader every READS_PER_READER reads keeps
 *  that queue a few KB; between two reads no read is pending, so releasing the lock loses nothing. */
export async function eachChunk(stream: ReadableStream<Uint8Array>, onChunk: (c: Uint8Array) => void): Promise<void> {
  let reader = stream.getReader();
  for (let n = 1; ; n++) {
    const { value, done } = await reader.read();
    if (done) return;
    onChunk(value);
    if (n % READS_PER_READER === 0) {
      reader.releaseLock();
      reader = stream.getReader();
    }
  }
}

/** Reads a byte stream as lines until it ends; a throw inside must not end the runtime. */
async function pumpLines(stream: ReadableStream<Uint8Array> | null, onText: (t: string) => void): Promise<void> {
  if (!stream) return;
  const decoder = new Utf8Decoder();
  try {
    await eachChunk(stream, (value) => onText(decoder.decode(value, true)));
  } catch { /* stream closed */ }
  const rest = decoder.decode(new Uint8Array(0));
  if (rest) onText(rest);
}

type TjsSpawnOpts = { env?: Record<string, string>; cwd?: string; stdout?: 'pipe' | 'ignore' | 'inherit'; stderr?: 'pipe' | 'ignore' | 'inherit'; stdin?: 'pipe' | 'ignore' };

const HEAD_BYTES = 4;

/** What the resolver needs from tjs: stat and the first bytes of a file. */
function programFacts(tjs: Tjs): ProgramFacts {
  return {
    async stat(path) {
      try {
        const st = await tjs.stat(path);
        return { isFile: st.isFile, mode: st.mode };
      } catch { return null; }
    },
    async head(path) {
      const fh = await tjs.open(path, 'r');
      try {
        const buf = new Uint8Array(HEAD_BYTES);
        const n = await fh.read(buf, 0);
        return buf.subarray(0, n ?? 0);
      } finally { await fh.close(); }
    },
  };
}

function createSpawner(tjs: Tjs): Spawner {
  const resolver = new ProgramResolver(programFacts(tjs), () => performance.now());
  const pathOf = (opts: { env?: Record<string, string> }) => opts.env?.PATH ?? tjs.env.PATH;
  const start = (path: string, argv: string[], opts: TjsSpawnOpts) => tjs.spawn([path, ...argv.slice(1)], {
    env: opts.env, cwd: opts.cwd, stdin: opts.stdin ?? 'ignore', stdout: opts.stdout ?? 'pipe', stderr: opts.stderr ?? 'pipe',
  });
  const recheck = (name: string, pathVar: string | undefined) => { void resolver.resolve(name, pathVar); };

  const spawner: Spawner = {
    spawn(argv, opts = {}): ChildProcess {
      // Synchronous by contract, but tjs has no synchronous stat: only a program found usable in
      // the last few seconds is started. The daemon checks fping before starting probers, and
      // every exit below re-checks it before the restart comes.
      const name = argv[0] ?? '';
      const pathVar = pathOf(opts);
      const path = resolver.fresh(name, pathVar);
      if (path === null) {
        recheck(name, pathVar);
        const err = new Error(`${name}: not checked yet (checking it now)`) as Error & { code: string };
        err.code = 'EAGAIN';
        throw err;
      }
      if (opts.stdin === 'pipe') {
        return fedChild(tjs, [path, ...argv.slice(1)], {
          start: (p, a) => start(p, a, { ...opts, stdin: 'ignore' }),
          run: (a, o) => spawner.run(a, o),
          sh: () => resolver.forRun('sh', pathVar),
          recheck: () => recheck(name, pathVar),
        });
      }
      const proc = start(path, argv, opts);
      let outFn: (l: string) => void = () => undefined;
      let errFn: (l: string) => void = () => undefined;
      const out = lineSplitter(guarded((l: string) => outFn(l)));
      const err = lineSplitter(guarded((l: string) => errFn(l)));
      const pumps = Promise.all([pumpLines(proc.stdout, (t) => out.push(t)), pumpLines(proc.stderr, (t) => err.push(t))]);
      const exited: Promise<ExitStatus> = proc.wait().then(async (st) => {
        recheck(name, pathVar);
        await pumps;
        out.end();
        err.end();
        return { code: st.term_signal ? null : st.exit_status, signal: st.term_signal ? String(st.term_signal) : null };
      });
      return {
        pid: proc.pid,
        onStdoutLine: (fn) => { outFn = fn; },
        onStderrLine: (fn) => { errFn = fn; },
        kill: (signal = 'SIGTERM') => { try { proc.kill(signal); } catch { /* already gone */ } },
        // stdin 'pipe' is fedChild's: here there is never one to write to or end
        write: async () => { throw new Error('stdin is not open'); },
        endInput: () => undefined,
        exited,
      };
    },
    prepare: (name, opts = {}) => resolver.prepare(name, pathOf(opts)),
    async run(argv, opts: RunOptions = {}): Promise<RunResult> {
      const found = await resolver.forRun(argv[0] ?? '', pathOf(opts));
      if ('error' in found) throw found.error;
      let path = found.path;
      let args = argv;
      let inputFile: string | null = null;
      if (opts.input !== undefined) {
        // Under v26.6.0 a child never sees the end of a piped stdin (docs/txiki.md): `uci batch`,
        // `wg pubkey`, `ipset restore` would wait for it until their timeout. The input goes into
        // a private temp file (mkstemp: mode 0600, removed right after) that sh gives the program
        // as its stdin.
        const sh = await resolver.forRun('sh', pathOf(opts));
        if ('error' in sh) throw sh.error;
        inputFile = await writeTempFile(tjs, opts.input);
        path = sh.path;
        args = ['sh', '-c', 'exec "$@" < "$0"', inputFile, found.path, ...argv.slice(1)];
      }
      try {
        const proc = start(path, args, { ...opts, stdin: 'ignore' });
        opts.onStarted?.();
        let timer: ReturnType<typeof setTimeout> | undefined;
        if (opts.timeoutMs !== undefined) timer = setTimeout(() => { try { proc.kill('SIGKILL'); } catch { /* gone */ } }, opts.timeoutMs);
        let stdout = '';
        let stderr = '';
        const pumps = Promise.all([pumpLines(proc.stdout, (t) => { stdout += t; }), pumpLines(proc.stderr, (t) => { stderr += t; })]);
        const st = await proc.wait();
        if (timer) clearTimeout(timer);
        // exited, but something it started may still hold the pipes (seen: a shell's cat kept
        // run() for 10 minutes after the timeout's kill): its output is not waited for long
        let grace: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([pumps, new Promise<void>((r) => { grace = setTimeout(r, RUN_PIPE_GRACE_MS); })]);
        clearTimeout(grace);
        return { code: st.term_signal ? null : st.exit_status, signal: st.term_signal ? String(st.term_signal) : null, stdout, stderr };
      } finally {
        if (inputFile) await tjs.remove(inputFile).catch(() => undefined);
      }
    },
  };
  return spawner;
}

interface FedDeps {
  /** starts a checked program (path, argv) with stdin ignored, stdout/stderr as asked */
  start(path: string, argv: string[]): TjsProcess;
  run: Spawner['run'];
  /** sh, checked */
  sh(): Promise<{ path: string } | { error: Error }>;
  /** checks the program again after it exited (for the restart) */
  recheck(): void;
}

const tempRoot = (tjs: Tjs) => (tjs.env.TMPDIR ?? '/tmp').replace(/\/+$/, '') || '/tmp';

/** endInput waits (bounded: 2 s) for the program to have its input FIFO open, polling its fd 0 */
const FIFO_OPEN_POLL_MS = 5;
const FIFO_OPEN_POLLS = 400;

/** A child with a stdin pipe under txiki.js. v26.6.0's own stdin pipe delivers the first write and
 *  never settles its promise, so every later write waits forever (docs/txiki.md). Instead the child
 *  reads a FIFO in a private directory (mkdtemp, 0700): `mkfifo -m 600` makes it (one process at
 *  the start, none per write), the daemon holds it open read-write (an open that never blocks, so
 *  no thread waits for the child), and `sh -c 'exec "$@" < "$0"' FIFO PROGRAM ARGS` starts the
 *  program on it; the shell is replaced by the program, so pid and signals are the program's.
 *  Writes are plain write(2)s on that handle; closing it is the end of input (no other writer).
 *  The FIFO and its directory are removed as soon as the program shows it runs on it (its first
 *  line of output) or has ended. */
function fedChild(tjs: Tjs, argv: string[], d: FedDeps): ChildProcess {
  let outFn: (l: string) => void = () => undefined;
  let errFn: (l: string) => void = () => undefined;
  const out = lineSplitter(guarded((l: string) => outFn(l)));
  const err = lineSplitter(guarded((l: string) => errFn(l)));
  let proc: TjsProcess | null = null;
  let fh: TjsFileHandle | null = null;
  let dir: string | null = null;
  let killedBy: string | null = null;
  let inputEnded = false;
  let over = false;
  let writes: Promise<unknown> = Promise.resolve();
  let removed: Promise<void> | null = null;
  const cleanup = (): Promise<void> => {
    if (dir && !removed) removed = tjs.remove(dir).catch(() => undefined);
    return removed ?? Promise.resolve();
  };
  const closeInput = () => {
    const f = fh;
    fh = null;
    if (f) void f.close().catch(() => undefined);
  };
  const seen = (fn: (t: string) => void) => (t: string) => { void cleanup(); fn(t); };

  const setup = (async (): Promise<TjsProcess> => {
    try { dir = await tjs.makeTempDir(`${tempRoot(tjs)}/wanpulse-XXXXXX`); } catch (e) {
      throw new Error(`cannot make a directory for its input in ${tempRoot(tjs)}: ${fromSystemError(e).message}`);
    }
    const fifo = `${dir}/stdin`;
    let mk: RunResult;
    try { mk = await d.run(['mkfifo', '-m', '600', fifo], { timeoutMs: 5000 }); } catch (e) {
      throw new Error(`cannot make its input pipe: ${(e as Error).message}`);
    }
    if (mk.code !== 0) throw new Error(`cannot make its input pipe: mkfifo: ${lastLine(mk.stderr) || `exit ${mk.code ?? mk.signal}`}`);
    try { fh = await tjs.open(fifo, 'r+'); } catch (e) { throw new Error(`cannot open its input pipe: ${fromSystemError(e).message}`); }
    const sh = await d.sh();
    if ('error' in sh) throw sh.error;
    if (killedBy) throw Object.assign(new Error('killed before it started'), { signal: killedBy });
    proc = d.start(sh.path, ['sh', '-c', 'exec "$@" < "$0"', fifo, ...argv]);
    return proc;
  })();

  const exited: Promise<ExitStatus> = setup.then(async (p) => {
    const pumps = Promise.all([pumpLines(p.stdout, seen((t) => out.push(t))), pumpLines(p.stderr, seen((t) => err.push(t)))]);
    const st = await p.wait();
    d.recheck();
    await pumps;
    return { code: st.term_signal ? null : st.exit_status, signal: st.term_signal ? String(st.term_signal) : null };
  }, (e: Error & { signal?: string }) => (e.signal
    ? { code: null, signal: e.signal }
    : { code: null, signal: null, error: e.message })).then(async (st) => {
    over = true;
    closeInput();
    await cleanup();
    out.end();
    err.end();
    return st;
  });

  return {
    get pid() { return proc?.pid ?? 0; },
    onStdoutLine: (fn) => { outFn = fn; },
    onStderrLine: (fn) => { errFn = fn; },
    kill: (signal = 'SIGTERM') => {
      if (proc) { try { proc.kill(signal); } catch { /* already gone */ } } else killedBy ??= signal;
    },
    write(text) {
      if (over || inputEnded) return Promise.reject(new Error('stdin is closed'));
      const bytes = encoder.encode(text);
      const w = writes.then(async () => {
        await setup;
        for (let off = 0, i = 0; off < bytes.length; i++) {
          if (!fh || over || i > 1000) throw new Error('stdin is closed');
          const n = await fh.write(bytes.subarray(off));
          if (!(n > 0)) throw new Error('stdin is closed');
          off += n;
        }
      });
      writes = w.catch(() => undefined);
      return w;
    },
    endInput() {
      if (inputEnded) return;
      inputEnded = true;
      // after what was written: the child reads to the end, then sees the end of input. Not before
      // the program has the FIFO open: a close while no one reads it drops what it holds, and the
      // program's open would then wait for a writer that never comes.
      void writes.then(() => setup).then(async (p) => {
        for (let i = 0; i < FIFO_OPEN_POLLS && !over; i++) {
          const st = await tjs.stat(`/proc/${p.pid}/fd/0`).catch(() => null);
          if (st?.isFIFO) break;
          await new Promise((r) => setTimeout(r, FIFO_OPEN_POLL_MS));
        }
      }).then(closeInput, closeInput);
    },
    exited,
  };
}

/** Writes `text` to a new private temp file (mode 0600); returns its path. */
async function writeTempFile(tjs: Tjs, text: string): Promise<string> {
  const dir = tempRoot(tjs);
  let fh: Awaited<ReturnType<Tjs['makeTempFile']>>;
  try { fh = await tjs.makeTempFile(`${dir}/wanpulse-in-XXXXXX`); } catch (e) { throw fromSystemError(e); }
  try {
    const bytes = encoder.encode(text);
    for (let off = 0, i = 0; off < bytes.length && i < 10_000; i++) {
      const n = await fh.write(bytes.subarray(off), off);
      if (!(n > 0)) throw new Error(`writing ${fh.path}: nothing written`);
      off += n;
    }
    return fh.path;
  } catch (e) {
    await tjs.remove(fh.path).catch(() => undefined);
    throw fromSystemError(e);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Opens a regular file for reading, with its size; null when it does not exist. stat first:
 *  opening a FIFO would block, /dev/zero never ends. */
async function openRegular(tjs: Tjs, path: string): Promise<{ fh: TjsFileHandle; size: number } | null> {
  let st;
  try { st = await tjs.stat(path); } catch (e) {
    if (isMissing(e)) return null;
    throw fromSystemError(e);
  }
  if (!st.isFile) throw notRegular((k) => (st as unknown as Record<string, boolean>)[`is${k}`] === true);
  try { return { fh: await tjs.open(path, 'r'), size: st.size }; } catch (e) {
    if (isMissing(e)) return null;
    throw fromSystemError(e);
  }
}

function createFs(tjs: Tjs): FileSystem {
  return {
    async readText(path, opts) {
      const max = opts?.maxBytes ?? DEFAULT_MAX_READ_BYTES;
      const opened = await openRegular(tjs, path);
      if (!opened) return null;
      const { fh, size } = opened;
      try {
        return await readAllText((buf) => fh.read(buf), max, size);
      } catch (e) {
        throw fromSystemError(e);
      } finally {
        await fh.close().catch(() => undefined);
      }
    },
    openPolled(path, opts) {
      // txiki.js has no synchronous read: positional reads on the kept handle
      return polledFile<TjsFileHandle>({
        open: async () => (await openRegular(tjs, path))?.fh ?? null,
        read: async (fh, buf, position) => (await fh.read(buf, position)) ?? 0,
        close: (fh) => fh.close(),
      }, opts?.maxBytes);
    },
    async writeAtomic(path, text, opts) {
      // tjs.writeFile is not atomic: temp file, fsync, rename
      const tmp = `${path}.${tjs.pid}.tmp`;
      const fh = await tjs.open(tmp, 'w');
      try {
        await fh.write(encoder.encode(text));
        if (opts?.durable !== false) await fh.sync();
      } finally {
        await fh.close();
      }
      await tjs.rename(tmp, path);
    },
    async writeText(path, text) {
      const fh = await tjs.open(path, 'w');
      try { await fh.write(encoder.encode(text)); } finally { await fh.close(); }
    },
    async mkdirp(path) {
      try { await tjs.makeDir(path, { recursive: true }); } catch (e) { if ((e as { code?: string }).code !== 'EEXIST') throw e; }
      // makeDir also reports EEXIST when a parent is a file: the directory must really be there
      const st = await tjs.stat(path).catch(() => null);
      if (!st?.isDirectory) throw Object.assign(new Error(`${path}: not a directory`), { code: 'ENOTDIR' });
    },
    async remove(path) {
      try { await tjs.remove(path); } catch (e) { if ((e as { code?: string }).code !== 'ENOENT') throw e; }
    },
    async readDir(path) {
      const names: string[] = [];
      try { for await (const d of await tjs.readDir(path)) names.push(d.name); } catch { return []; }
      return names;
    },
    async exists(path) {
      try { await tjs.stat(path); return true; } catch { return false; }
    },
  };
}

function stream(opened: TjsOpenedSocket, close: () => void): ByteStream {
  const writer = opened.writable.getWriter();
  let dataFn: (d: Uint8Array) => void = () => undefined;
  let closeFn: (err?: Error) => void = () => undefined;
  let closed = false;
  const finish = (err?: Error) => { if (!closed) { closed = true; closeFn(err); } };
  void (async () => {
    try {
      await eachChunk(opened.readable, (value) => dataFn(value));
      finish();
    } catch (e) { finish(e as Error); }
  })();
  return {
    write: (data) => writer.write(data),
    onData: (fn) => { dataFn = guarded(fn); },
    onClose: (fn) => { closeFn = fn; },
    close: () => { try { close(); } catch { /* closed */ } finish(); },
  };
}

async function connect(tjs: Tjs, TCPSocket: TjsTcpSocketConstructor, o: ConnectOptions): Promise<ByteStream> {
  // No connect timeout of its own: an AbortController fired from a clearable timer.
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), o.timeoutMs);
  try {
    if (o.tls) {
      const res = await tjs.connect('tls', o.host, o.port, { sni: o.servername ?? o.host, ca: o.caPem, verifyPeer: !o.insecure, signal: ac.signal });
      const opened = res.opened ? await res.opened : res;
      return stream(opened, () => res.close?.());
    }
    const sock = new TCPSocket(o.host, o.port, { noDelay: true, signal: ac.signal });
    return stream(await sock.opened, () => sock.close());
  } finally {
    clearTimeout(timer);
  }
}

/** The platform over a given `tjs` object (the global one on the router, a fake in tests). */
export function createTxikiPlatform(tjs: Tjs, TCPSocket: TjsTcpSocketConstructor): Platform {
  const fs = createFs(tjs);
  return {
    runtime: 'txiki',
    clock,
    spawner: createSpawner(tjs),
    fs,
    signals: {
      on: (sig, fn) => tjs.addSignalListener(sig, () => { void Promise.resolve().then(fn); }),
      kill: (pid, sig) => { try { tjs.kill(pid, sig); return true; } catch { return false; } },
    },
    net: { connect: (o) => connect(tjs, TCPSocket, o) },
    // tjs.args = [exe, 'run', script, ...userArgs]
    args: tjs.args.slice(3),
    env: tjs.env,
    pid: tjs.pid,
    hostname: () => tjs.hostName,
    async uptimeS() {
      const text = await fs.readText('/proc/uptime');
      return text ? Math.floor(Number(text.split(' ')[0])) : Math.floor(tjs.system.uptime);
    },
    write(which, text) {
      // console.log/error go to the right fd in txiki.js; strip the newline they add
      const t = text.endsWith('\n') ? text.slice(0, -1) : text;
      if (which === 'stdout') console.log(t); else console.error(t);
    },
    collectGarbage: () => tjs.engine.gc.run(),
    // console.log/error write with fwrite + fflush in txiki.js v26: nothing is pending at exit
    exit: async (code) => tjs.exit(code),
  };
}

export function txikiPlatform(): Platform {
  const g = globalThis as unknown as { tjs: Tjs; TCPSocket: TjsTcpSocketConstructor };
  return createTxikiPlatform(g.tjs, g.TCPSocket);
}
