// The narrow interface between wanpulse and the operating system / runtime.
// Everything outside src/platform/ receives these as arguments: no module singletons,
// so tests pass fakes (test/fakes/) and the same code runs under txiki.js and Node.

/** Monotonic time and timers. `nowMs()` never jumps with NTP; `wallMs()` is for display only. */
export interface Clock {
  nowMs(): number;
  wallMs(): number;
  setTimer(ms: number, fn: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}
export type TimerHandle = { readonly id: unknown };

export type StdioMode = 'pipe' | 'ignore' | 'inherit';

export interface SpawnOptions {
  /** Replaces the whole environment (txiki.js semantics). Omit to inherit. */
  env?: Record<string, string>;
  cwd?: string;
  stdout?: StdioMode;
  stderr?: StdioMode;
  /** 'pipe': the child's stdin is written with ChildProcess.write (spawn only). Default 'ignore'.
   *  Under txiki.js the pipe is a FIFO in a private temp directory (its own stdin pipes lose every
   *  write after the first): the child starts a few ms later, and `exited` has `error` when the
   *  FIFO could not be made. Meant for line protocols whose writer waits for answers (ip -batch):
   *  a write into a full FIFO whose reader stopped would hold one of the runtime's threads. */
  stdin?: 'pipe' | 'ignore';
}

export interface ExitStatus {
  /** null when the process was ended by a signal, or never started (see `error`) */
  code: number | null;
  signal: string | null;
  /** set when the program was never started (txiki.js: its stdin pipe could not be made) */
  error?: string;
}

export interface ChildProcess {
  /** 0 until the process has started (txiki.js with stdin 'pipe': after its FIFO was made) */
  readonly pid: number;
  /** Calls `fn` for every complete line on stdout (without the newline). Set before data flows. */
  onStdoutLine(fn: (line: string) => void): void;
  onStderrLine(fn: (line: string) => void): void;
  /** Signal by name ('SIGTERM', 'SIGKILL', …): numbers differ on MIPS. */
  kill(signal?: string): void;
  /** Writes to stdin (spawned with stdin 'pipe'); resolves once the runtime took the bytes, rejects
   *  when stdin is not a pipe or is closed (the child exited). */
  write(text: string): Promise<void>;
  /** Closes stdin (the child sees end of input); nothing when it is not a pipe. */
  endInput(): void;
  readonly exited: Promise<ExitStatus>;
}

export interface RunResult extends ExitStatus {
  stdout: string;
  stderr: string;
}

/** run(): after the program exited, how long output still counts; a process it left behind that
 *  holds its pipes open (a shell that did not exec) does not hold run() any longer */
export const RUN_PIPE_GRACE_MS = 500;

export interface RunOptions extends SpawnOptions {
  /** Kill the process (SIGKILL) after this many ms; the result then has signal 'SIGKILL'. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed (under txiki.js: given as stdin from a private temp
   *  file by a fixed `sh -c 'exec "$@" < "$0"'`, argv passed as its parameters). */
  input?: string;
  /** Called once the process has been started (after the program check and the fork), before it
   *  ends: lets a caller time the start apart from the run. */
  onStarted?: () => void;
}

export interface Spawner {
  /** Starts argv[0] with argv as given, never through a shell. argv[0] is resolved first (PATH)
   *  and must be an executable ELF binary or #! script: otherwise this throws an error with code
   *  'ENOENT' (missing), 'EACCES' or 'ENOEXEC' and a message naming the program; the runtime is
   *  never asked to start it (src/platform/program.ts). */
  spawn(argv: string[], opts?: SpawnOptions): ChildProcess;
  /** Runs to completion and collects output. Rejects only when the binary cannot be started
   *  (the same errors as spawn). */
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** Checks program `name` now, so that a run() of it within the next second starts it without
   *  checking it again: lets a caller overlap the check with other work before a start that is
   *  time-critical. Never throws; a program that fails the check is checked again by run(). */
  prepare?(name: string, opts?: SpawnOptions): Promise<void>;
}

export interface ReadOptions {
  /** refuse files larger than this (default DEFAULT_MAX_READ_BYTES, 4 MiB) */
  maxBytes?: number;
}

/** A small kernel file (a /sys or /proc counter) read again and again: opened once, then each
 *  read() is one read of the whole file from offset 0 (the kernel makes its text anew for every
 *  read at offset 0) instead of stat + open + read + close. Only for such files: a regular file
 *  replaced by rename would go on being read from the old one. */
export interface PolledFile {
  /** The text as readText gives it; null when it does not exist. A handle that stopped answering
   *  (ENODEV: the device was removed, perhaps recreated) is closed and the path opened again once.
   *  Rejects with a ReadError like readText (not a regular file, larger than maxBytes). A file
   *  served in pieces (a procfs table) is read piece by piece to its end, or only until `enough`
   *  holds for the text so far. */
  read(enough?: (text: string) => boolean): Promise<string | null>;
  /** Closes the handle; read() afterwards answers null. */
  close(): Promise<void>;
}

export interface FileSystem {
  /** The file as UTF-8 text (src/platform/utf8.ts: a leading BOM dropped, invalid bytes U+FFFD).
   *  null when it does not exist. Only regular files are read, at most maxBytes: anything else
   *  rejects with a ReadError (src/platform/read-file.ts) whose message is the reason. */
  readText(path: string, opts?: ReadOptions): Promise<string | null>;
  /** A small kernel file to read often (src/platform/read-file.ts POLLED_MAX_BYTES unless
   *  maxBytes); nothing is opened before the first read(). */
  openPolled(path: string, opts?: ReadOptions): PolledFile;
  /** temp file + fsync + rename: readers never see half a file. `durable: false` skips the
   *  fsync: still atomic for readers and across a crash of this process, not across a power loss
   *  (for state that means nothing after a reboot). */
  writeAtomic(path: string, text: string, opts?: { durable?: boolean }): Promise<void>;
  /** plain truncate-and-write (how mwan3track writes its files) */
  writeText(path: string, text: string): Promise<void>;
  mkdirp(path: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** names in the directory, [] when it does not exist */
  readDir(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
}

export type SignalName = 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'SIGUSR1' | 'SIGUSR2';

export interface Signals {
  on(signal: SignalName, fn: () => void): void;
  /** Sends a signal by name to another process. */
  kill(pid: number, signal: string): boolean;
}

export interface ByteStream {
  write(data: Uint8Array): Promise<void>;
  onData(fn: (data: Uint8Array) => void): void;
  /** called once, with the error when the connection failed */
  onClose(fn: (err?: Error) => void): void;
  close(): void;
}

export interface ConnectOptions {
  host: string;
  port: number;
  tls?: boolean;
  /** PEM text of the CA bundle to trust (TLS only) */
  caPem?: string;
  /** server name for SNI and verification, defaults to host */
  servername?: string;
  /** skip certificate verification (TLS only; for tests) */
  insecure?: boolean;
  timeoutMs: number;
}

export interface Net {
  connect(opts: ConnectOptions): Promise<ByteStream>;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface Log {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  /** lazy: the message is only built when debug logging is on */
  debug(msg: () => string): void;
}

export interface Platform {
  readonly runtime: 'node' | 'txiki';
  readonly clock: Clock;
  readonly spawner: Spawner;
  readonly fs: FileSystem;
  readonly signals: Signals;
  readonly net: Net;
  readonly args: string[];
  readonly env: Record<string, string | undefined>;
  readonly pid: number;
  hostname(): string;
  /** seconds since boot (mwan3 stores integer /proc/uptime seconds) */
  uptimeS(): Promise<number>;
  write(stream: 'stdout' | 'stderr', text: string): void;
  /** A full collection of cyclic garbage, where the runtime offers one (txiki.js). QuickJS frees
   *  the rest by reference counting and collects cycles only when its heap has grown by half since
   *  the last collection, so the daemon's RSS crept by ~1–2 MB before it levelled off; the daemon
   *  runs this every minute (docs/txiki.md, "Memory"). Node: absent. */
  collectGarbage?(): void;
  /** Exits after everything written has reached the file descriptors (a pipe to procd/logd
   *  may be full: output must not be cut at exit). */
  exit(code: number): Promise<never>;
}
