// The subset of the txiki.js v26 API wanpulse uses, declared from the runtime notes in docs/txiki.md
// (the npm package @txikijs/types describes the pre-2026 API and is not used).

export interface TjsProcess {
  readonly pid: number;
  readonly stdout: ReadableStream<Uint8Array> | null;
  readonly stderr: ReadableStream<Uint8Array> | null;
  readonly stdin: WritableStream<Uint8Array> | null;
  kill(signal?: string): void;
  /** term_signal: the signal's name or number, 0/null when it exited by itself */
  wait(): Promise<{ exit_status: number; term_signal: string | number | null }>;
}

export interface TjsSpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
  stdin?: 'inherit' | 'pipe' | 'ignore';
  stdout?: 'inherit' | 'pipe' | 'ignore';
  stderr?: 'inherit' | 'pipe' | 'ignore';
}

export interface TjsFileHandle {
  write(data: Uint8Array, offset?: number): Promise<number>;
  /** bytes read, null at the end of the file */
  read(buf: Uint8Array, position?: number): Promise<number | null>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** tjs.stat(): the getters wanpulse uses (mode and size are plain fields) */
export interface TjsStat {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isFIFO: boolean;
  readonly isCharacterDevice: boolean;
  readonly isBlockDevice: boolean;
  readonly isSocket: boolean;
  readonly mode: number;
  readonly size: number;
}

export interface TjsOpenedSocket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

export interface TjsTcpSocket {
  readonly opened: Promise<TjsOpenedSocket>;
  readonly closed: Promise<void>;
  close(): void;
}

export interface TjsTlsOptions {
  sni?: string;
  ca?: string;
  verifyPeer?: boolean;
  signal?: AbortSignal;
}

export interface Tjs {
  readonly args: readonly string[];
  readonly env: Record<string, string | undefined>;
  readonly pid: number;
  readonly hostName: string;
  readonly system: { readonly uptime: number };
  spawn(args: string[], opts?: TjsSpawnOptions): TjsProcess;
  kill(pid: number, signal?: string): void;
  addSignalListener(sig: string, fn: () => void): void;
  readFile(path: string): Promise<Uint8Array>;
  open(path: string, flags: string, mode?: number): Promise<TjsFileHandle>;
  rename(from: string, to: string): Promise<void>;
  stat(path: string): Promise<TjsStat>;
  makeDir(path: string, opts?: { recursive?: boolean }): Promise<void>;
  remove(path: string): Promise<void>;
  /** mkstemp: a new file (mode 0600) from a template ending in XXXXXX, opened for writing */
  makeTempFile(template: string): Promise<TjsFileHandle & { readonly path: string }>;
  /** mkdtemp: a new directory (mode 0700) from a template ending in XXXXXX; resolves to its path */
  makeTempDir(template: string): Promise<string>;
  readDir(path: string): AsyncIterable<{ name: string }> | Promise<AsyncIterable<{ name: string }>>;
  connect(kind: 'tls', host: string, port: number, opts?: TjsTlsOptions): Promise<TjsOpenedSocket & { close?(): void; opened?: Promise<TjsOpenedSocket> }>;
  exit(code: number): never;
  /** the cycle collector (QuickJS JS_RunGC) */
  readonly engine: { readonly gc: { run(): void } };
}

export interface TjsTcpSocketConstructor {
  new (host: string, port: number, opts?: { noDelay?: boolean; signal?: AbortSignal }): TjsTcpSocket;
}
