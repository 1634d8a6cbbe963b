// Node.js adapter for the ports: what the tests and the lab run. Kept free of logic.
// Node's modules are imported dynamically: the one bundle also runs under txiki.js, which has no
// `node:` modules, and main.ts loads this file only when it is not running under txiki.js.
import type * as netTypes from 'node:net';
import type {
  ByteStream, ChildProcess, Clock, ConnectOptions, ExitStatus, FileSystem, Platform, RunOptions,
  RunResult, SignalName, Signals, SpawnOptions, Spawner, TimerHandle,
} from './ports.ts';
import { RUN_PIPE_GRACE_MS } from './ports.ts';
import { guarded, lineSplitter } from './lines.ts';
import { cannotStart, judge, ProgramResolver, type Verdict } from './program.ts';
import { DEFAULT_MAX_READ_BYTES, fromSystemError, isMissing, notRegular, polledFile, readAllText } from './read-file.ts';
import { Utf8Decoder } from './utf8.ts';

const cp = await import('node:child_process');
const { constants, readSync } = await import('node:fs');
const fsp = await import('node:fs/promises');
const net = await import('node:net');
const os = await import('node:os');
const tls = await import('node:tls');

export const nodeClock: Clock = {
  nowMs: () => performance.now(),
  wallMs: () => Date.now(),
  setTimer: (ms, fn) => ({ id: setTimeout(guarded(fn), Math.max(0, ms)) }),
  clearTimer: (h: TimerHandle) => clearTimeout(h.id as NodeJS.Timeout),
};

function stdio(mode: SpawnOptions['stdout']): 'pipe' | 'ignore' | 'inherit' {
  return mode ?? 'pipe';
}

// argv[0] is resolved and checked as in the txiki.js adapter (program.ts) before run(), so a
// missing program, a directory or a shebang-less text file fail alike under both runtimes.
// spawn() (fping only) keeps Node's own check: fping is checked with run() before it is spawned.
const resolver = new ProgramResolver({
  async stat(path) {
    try { const st = await fsp.stat(path); return { isFile: st.isFile(), mode: st.mode }; } catch { return null; }
  },
  async head(path) {
    const fh = await fsp.open(path, 'r');
    try { const b = new Uint8Array(4); return b.subarray(0, (await fh.read(b, 0, 4, 0)).bytesRead); } finally { await fh.close(); }
  },
}, () => performance.now());

export const nodeSpawner: Spawner = {
  spawn(argv: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = cp.spawn(argv[0]!, argv.slice(1), {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: [opts.stdin ?? 'ignore', stdio(opts.stdout), stdio(opts.stderr)],
    });
    // Node reports a missing binary asynchronously; txiki.js throws synchronously. Normalise to
    // the synchronous throw by checking the pid (undefined when spawn failed).
    if (child.pid === undefined) {
      child.on('error', () => undefined);
      throw cannotStart(argv[0]!, judge(null, null) as Exclude<Verdict, { ok: true }>);
    }
    let outFn: (l: string) => void = () => undefined;
    let errFn: (l: string) => void = () => undefined;
    const outSplit = lineSplitter(guarded((l: string) => outFn(l)));
    const errSplit = lineSplitter(guarded((l: string) => errFn(l)));
    const outDec = new Utf8Decoder();
    const errDec = new Utf8Decoder();
    child.stdout?.on('data', (b: Buffer) => outSplit.push(outDec.decode(b, true)));
    child.stderr?.on('data', (b: Buffer) => errSplit.push(errDec.decode(b, true)));
    // a write after the child died fails with EPIPE: reported to the writer, never thrown
    child.stdin?.on('error', () => undefined);
    const exited = new Promise<ExitStatus>((resolve) => {
      child.on('error', () => undefined);
      child.on('close', (code, signal) => {
        outSplit.end();
        errSplit.end();
        resolve({ code, signal });
      });
    });
    return {
      pid: child.pid,
      onStdoutLine: (fn) => { outFn = fn; },
      onStderrLine: (fn) => { errFn = fn; },
      kill: (signal = 'SIGTERM') => { try { child.kill(signal as NodeJS.Signals); } catch { /* gone */ } },
      write: (text) => new Promise<void>((resolve, reject) => {
        const input = child.stdin;
        if (!input || input.destroyed || !input.writable) { reject(new Error('stdin is not open')); return; }
        input.write(text, (err) => (err ? reject(err) : resolve()));
      }),
      endInput: () => { try { child.stdin?.end(); } catch { /* gone */ } },
      exited,
    };
  },

  prepare: (name, opts = {}) => resolver.prepare(name, (opts.env ?? process.env).PATH),

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    const found = await resolver.forRun(argv[0] ?? '', (opts.env ?? process.env).PATH);
    if ('error' in found) throw found.error;
    return new Promise((resolve, reject) => {
      const child = cp.spawn(found.path, argv.slice(1), {
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let timer: NodeJS.Timeout | undefined;
      const outDec = new Utf8Decoder();
      const errDec = new Utf8Decoder();
      child.stdout!.on('data', (b: Buffer) => { stdout += outDec.decode(b, true); });
      child.stderr!.on('data', (b: Buffer) => { stderr += errDec.decode(b, true); });
      let grace: NodeJS.Timeout | undefined;
      let settled = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        if (grace) clearTimeout(grace);
        stdout += outDec.decode(new Uint8Array(0));
        stderr += errDec.decode(new Uint8Array(0));
        resolve({ code, signal, stdout, stderr });
      };
      child.on('error', (err) => { if (timer) clearTimeout(timer); if (grace) clearTimeout(grace); settled = true; reject(err); });
      child.on('close', finish);
      // exited, but something it started may still hold the pipes: not waited for long
      child.on('exit', (code, signal) => {
        grace = setTimeout(() => { child.stdout!.destroy(); child.stderr!.destroy(); finish(code, signal); }, RUN_PIPE_GRACE_MS);
      });
      if (child.pid !== undefined) opts.onStarted?.();
      if (opts.input !== undefined) {
        child.stdin!.on('error', () => undefined);
        child.stdin!.end(opts.input);
      }
      if (opts.timeoutMs !== undefined) {
        timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
      }
    });
  },
};

type FileHandle = Awaited<ReturnType<typeof fsp.open>>;

/** Opens a regular file for reading, with its size; null when it does not exist. O_NONBLOCK:
 *  opening a FIFO must not wait for a writer (fstat refuses it). */
async function openRegular(path: string): Promise<{ fh: FileHandle; size: number } | null> {
  let fh: FileHandle;
  try { fh = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY); } catch (e) {
    if (isMissing(e)) return null;
    throw fromSystemError(e);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notRegular((k) => (st as unknown as Record<string, () => boolean>)[`is${k}`]!.call(st));
    return { fh, size: st.size };
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw fromSystemError(e);
  }
}

export const nodeFs: FileSystem = {
  async readText(path, opts) {
    const max = opts?.maxBytes ?? DEFAULT_MAX_READ_BYTES;
    const opened = await openRegular(path);
    if (!opened) return null;
    const { fh, size } = opened;
    try {
      return await readAllText(async (buf) => (await fh.read(buf, 0, buf.length, null)).bytesRead, max, size);
    } catch (e) {
      throw fromSystemError(e);
    } finally {
      await fh.close().catch(() => undefined);
    }
  },
  openPolled(path, opts) {
    // preads on the open descriptor (from offset 0 each time), synchronously: a sysfs or procfs counter is
    // made from memory (no disk, no lock that sleeps), and a synchronous read costs one system
    // call where a FileHandle read goes through libuv's thread pool (two thread switches).
    return polledFile<FileHandle>({
      open: async () => (await openRegular(path))?.fh ?? null,
      read: (fh, buf, position) => readSync(fh.fd, buf, 0, buf.length, position),
      close: (fh) => fh.close(),
    }, opts?.maxBytes);
  },
  async writeAtomic(path, text, opts) {
    const tmp = `${path}.${process.pid}.tmp`;
    const fh = await fsp.open(tmp, 'w');
    try {
      await fh.writeFile(text, 'utf8');
      if (opts?.durable !== false) await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path);
  },
  async writeText(path, text) { await fsp.writeFile(path, text, 'utf8'); },
  async mkdirp(path) { await fsp.mkdir(path, { recursive: true }); },
  async remove(path) { await fsp.rm(path, { recursive: true, force: true }); },
  async readDir(path) {
    try { return await fsp.readdir(path); } catch { return []; }
  },
  async exists(path) {
    try { await fsp.stat(path); return true; } catch { return false; }
  },
};

export const nodeSignals: Signals = {
  on(signal: SignalName, fn: () => void) { process.on(signal, fn); },
  kill(pid, signal) {
    try { process.kill(pid, signal as NodeJS.Signals); return true; } catch { return false; }
  },
};

function connect(opts: ConnectOptions): Promise<ByteStream> {
  return new Promise((resolve, reject) => {
    const sock: netTypes.Socket = opts.tls
      ? tls.connect({
        // SNI carries names only: an IP address there is deprecated (DEP0123)
        host: opts.host, port: opts.port, servername: opts.servername ?? (net.isIP(opts.host) ? undefined : opts.host),
        ca: opts.caPem, rejectUnauthorized: !opts.insecure,
      })
      : net.connect({ host: opts.host, port: opts.port });
    sock.setNoDelay(true);
    let settled = false;
    let closeFn: (err?: Error) => void = () => undefined;
    let closed = false;
    let lastErr: Error | undefined;
    const timer = setTimeout(() => {
      if (!settled) { settled = true; sock.destroy(); reject(new Error(`connect to ${opts.host}:${opts.port} timed out after ${opts.timeoutMs} ms`)); }
    }, opts.timeoutMs);
    sock.on('error', (err) => {
      lastErr = err;
      if (!settled) { settled = true; clearTimeout(timer); reject(err); }
    });
    sock.on('close', () => {
      if (!closed && settled) { closed = true; closeFn(lastErr); }
    });
    sock.once(opts.tls ? 'secureConnect' : 'connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        write: (data) => new Promise((res, rej) => sock.write(data, (err) => (err ? rej(err) : res()))),
        onData: (fn) => { const safe = guarded(fn); sock.on('data', (b: Buffer) => safe(new Uint8Array(b.buffer, b.byteOffset, b.byteLength))); },
        onClose: (fn) => { closeFn = fn; },
        close: () => { sock.end(); sock.destroy(); },
      });
    });
  });
}

/** Resolves once everything written so far to the stream has been handed to the OS. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => resolve();
    // an empty write's callback runs after the writes queued before it
    stream.write('', done);
    stream.once('error', done);
    stream.once('close', done);
  });
}

export function nodePlatform(): Platform {
  return {
    runtime: 'node',
    clock: nodeClock,
    spawner: nodeSpawner,
    fs: nodeFs,
    signals: nodeSignals,
    net: { connect },
    args: process.argv.slice(2),
    env: process.env,
    pid: process.pid,
    hostname: () => os.hostname(),
    async uptimeS() {
      const text = await nodeFs.readText('/proc/uptime');
      return text ? Math.floor(Number(text.split(' ')[0])) : Math.floor(os.uptime());
    },
    write(stream, text) { (stream === 'stdout' ? process.stdout : process.stderr).write(text); },
    async exit(code): Promise<never> {
      // writes to a pipe are asynchronous in Node: process.exit() would cut what is queued
      // (check-config | wc -c stopped at 65536)
      await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
      process.exit(code);
    },
  };
}
