// txiki.js v26 adapter for the ports: what runs on the router. Thin on purpose: it cannot run on
// the development machines (txiki.js is not in the package registries), so it is kept exact by
// the typechecker against txiki-api.d.ts, and everything with logic lives outside it.
import { guarded, lineSplitter } from './lines.ts';
import type {
  ByteStream, ChildProcess, Clock, ConnectOptions, ExitStatus, FileSystem, Platform, RunOptions, RunResult, Spawner,
} from './ports.ts';
import type { Tjs, TjsOpenedSocket, TjsTcpSocketConstructor } from './txiki-api.d.ts';

const g = globalThis as unknown as { tjs: Tjs; TCPSocket: TjsTcpSocketConstructor };
const encoder = new TextEncoder();

const clock: Clock = {
  nowMs: () => performance.now(),
  wallMs: () => Date.now(),
  setTimer: (ms, fn) => ({ id: setTimeout(guarded(fn), Math.max(0, ms)) }),
  clearTimer: (h) => clearTimeout(h.id as number),
};

/** Reads a byte stream as lines until it ends; a throw inside must not end the runtime. */
async function pumpLines(stream: ReadableStream<Uint8Array> | null, onText: (t: string) => void): Promise<void> {
  if (!stream) return;
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      onText(decoder.decode(value, { stream: true }));
    }
  } catch { /* stream closed */ }
}

function spawn(argv: string[], opts: { env?: Record<string, string>; cwd?: string; stdout?: 'pipe' | 'ignore' | 'inherit'; stderr?: 'pipe' | 'ignore' | 'inherit'; stdin?: 'pipe' | 'ignore' } = {}) {
  // throws synchronously (code ENOENT) when the binary is missing — same contract as the port
  return g.tjs.spawn(argv, {
    env: opts.env, cwd: opts.cwd, stdin: opts.stdin ?? 'ignore', stdout: opts.stdout ?? 'pipe', stderr: opts.stderr ?? 'pipe',
  });
}

const spawner: Spawner = {
  spawn(argv, opts = {}): ChildProcess {
    const proc = spawn(argv, opts);
    let outFn: (l: string) => void = () => undefined;
    let errFn: (l: string) => void = () => undefined;
    const out = lineSplitter(guarded((l: string) => outFn(l)));
    const err = lineSplitter(guarded((l: string) => errFn(l)));
    const pumps = Promise.all([pumpLines(proc.stdout, (t) => out.push(t)), pumpLines(proc.stderr, (t) => err.push(t))]);
    const exited: Promise<ExitStatus> = proc.wait().then(async (st) => {
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
      exited,
    };
  },
  async run(argv, opts: RunOptions = {}): Promise<RunResult> {
    const proc = spawn(argv, { ...opts, stdin: opts.input === undefined ? 'ignore' : 'pipe' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (opts.timeoutMs !== undefined) timer = setTimeout(() => { try { proc.kill('SIGKILL'); } catch { /* gone */ } }, opts.timeoutMs);
    if (opts.input !== undefined && proc.stdin) {
      const w = proc.stdin.getWriter();
      await w.write(encoder.encode(opts.input)).catch(() => undefined);
      await w.close().catch(() => undefined);
    }
    let stdout = '';
    let stderr = '';
    await Promise.all([pumpLines(proc.stdout, (t) => { stdout += t; }), pumpLines(proc.stderr, (t) => { stderr += t; })]);
    const st = await proc.wait();
    if (timer) clearTimeout(timer);
    return { code: st.term_signal ? null : st.exit_status, signal: st.term_signal ? String(st.term_signal) : null, stdout, stderr };
  },
};

const fs: FileSystem = {
  async readText(path) {
    try { return new TextDecoder().decode(await g.tjs.readFile(path)); } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw e;
    }
  },
  async writeAtomic(path, text) {
    // tjs.writeFile is not atomic: temp file, fsync, rename
    const tmp = `${path}.${g.tjs.pid}.tmp`;
    const fh = await g.tjs.open(tmp, 'w');
    try {
      await fh.write(encoder.encode(text));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await g.tjs.rename(tmp, path);
  },
  async writeText(path, text) {
    const fh = await g.tjs.open(path, 'w');
    try { await fh.write(encoder.encode(text)); } finally { await fh.close(); }
  },
  async mkdirp(path) {
    try { await g.tjs.makeDir(path, { recursive: true }); } catch (e) { if ((e as { code?: string }).code !== 'EEXIST') throw e; }
  },
  async remove(path) {
    try { await g.tjs.remove(path); } catch (e) { if ((e as { code?: string }).code !== 'ENOENT') throw e; }
  },
  async readDir(path) {
    const names: string[] = [];
    try { for await (const d of await g.tjs.readDir(path)) names.push(d.name); } catch { return []; }
    return names;
  },
  async exists(path) {
    try { await g.tjs.stat(path); return true; } catch { return false; }
  },
};

function stream(opened: TjsOpenedSocket, close: () => void): ByteStream {
  const writer = opened.writable.getWriter();
  let dataFn: (d: Uint8Array) => void = () => undefined;
  let closeFn: (err?: Error) => void = () => undefined;
  let closed = false;
  const finish = (err?: Error) => { if (!closed) { closed = true; closeFn(err); } };
  void (async () => {
    const reader = opened.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        dataFn(value);
      }
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

async function connect(o: ConnectOptions): Promise<ByteStream> {
  // No connect timeout of its own: an AbortController fired from a clearable timer.
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), o.timeoutMs);
  try {
    if (o.tls) {
      const res = await g.tjs.connect('tls', o.host, o.port, { sni: o.servername ?? o.host, ca: o.caPem, verifyPeer: !o.insecure, signal: ac.signal });
      const opened = res.opened ? await res.opened : res;
      return stream(opened, () => res.close?.());
    }
    const sock = new g.TCPSocket(o.host, o.port, { noDelay: true, signal: ac.signal });
    return stream(await sock.opened, () => sock.close());
  } finally {
    clearTimeout(timer);
  }
}

export function txikiPlatform(): Platform {
  const tjs = g.tjs;
  return {
    runtime: 'txiki',
    clock,
    spawner,
    fs,
    signals: {
      on: (sig, fn) => tjs.addSignalListener(sig, () => { void Promise.resolve().then(fn); }),
      kill: (pid, sig) => { try { tjs.kill(pid, sig); return true; } catch { return false; } },
    },
    net: { connect },
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
    exit: (code) => tjs.exit(code),
  };
}
