// Node.js adapter for the ports: what the tests and the lab run. Kept free of logic.
// Node's modules are imported dynamically: the one bundle also runs under txiki.js, which has no
// `node:` modules, and main.ts loads this file only when it is not running under txiki.js.
import type * as netTypes from 'node:net';
import type {
  ByteStream, ChildProcess, Clock, ConnectOptions, ExitStatus, FileSystem, Platform, RunOptions,
  RunResult, SignalName, Signals, SpawnOptions, Spawner, TimerHandle,
} from './ports.ts';
import { guarded, lineSplitter } from './lines.ts';

const cp = await import('node:child_process');
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

export const nodeSpawner: Spawner = {
  spawn(argv: string[], opts: SpawnOptions = {}): ChildProcess {
    const child = cp.spawn(argv[0]!, argv.slice(1), {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['ignore', stdio(opts.stdout), stdio(opts.stderr)],
    });
    // Node reports a missing binary asynchronously; txiki.js throws synchronously. Normalise to
    // the synchronous throw by checking the pid (undefined when spawn failed).
    if (child.pid === undefined) {
      const err = new Error(`${argv[0]}: not found`) as Error & { code: string };
      err.code = 'ENOENT';
      child.on('error', () => undefined);
      throw err;
    }
    let outFn: (l: string) => void = () => undefined;
    let errFn: (l: string) => void = () => undefined;
    const outSplit = lineSplitter(guarded((l: string) => outFn(l)));
    const errSplit = lineSplitter(guarded((l: string) => errFn(l)));
    child.stdout?.on('data', (b: Buffer) => outSplit.push(b.toString('utf8')));
    child.stderr?.on('data', (b: Buffer) => errSplit.push(b.toString('utf8')));
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
      exited,
    };
  },

  run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const child = cp.spawn(argv[0]!, argv.slice(1), {
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let timer: NodeJS.Timeout | undefined;
      child.stdout!.on('data', (b: Buffer) => { stdout += b.toString('utf8'); });
      child.stderr!.on('data', (b: Buffer) => { stderr += b.toString('utf8'); });
      child.on('error', (err) => { if (timer) clearTimeout(timer); reject(err); });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
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

export const nodeFs: FileSystem = {
  async readText(path) {
    try { return await fsp.readFile(path, 'utf8'); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw e;
    }
  },
  async writeAtomic(path, text) {
    const tmp = `${path}.${process.pid}.tmp`;
    const fh = await fsp.open(tmp, 'w');
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
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
    exit(code): never { process.exit(code); },
  };
}
