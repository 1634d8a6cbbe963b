// A Spawner that records argv and lets the test script each child's output and exit.
import type { ChildProcess, ExitStatus, RunOptions, RunResult, SpawnOptions, Spawner } from '../../src/platform/ports.ts';

export class FakeChild implements ChildProcess {
  private outFn: (l: string) => void = () => undefined;
  private errFn: (l: string) => void = () => undefined;
  private resolveExit!: (s: ExitStatus) => void;
  readonly exited: Promise<ExitStatus>;
  readonly signals: string[] = [];
  alive = true;

  constructor(readonly pid: number, readonly argv: string[], readonly opts: SpawnOptions) {
    this.exited = new Promise((r) => { this.resolveExit = r; });
  }
  onStdoutLine(fn: (l: string) => void) { this.outFn = fn; }
  onStderrLine(fn: (l: string) => void) { this.errFn = fn; }
  kill(signal = 'SIGTERM') {
    this.signals.push(signal);
    if (this.alive) this.exit({ code: null, signal });
  }
  /** what was written to stdin */
  readonly input: string[] = [];
  inputEnded = false;
  onInput: (text: string) => void = () => undefined;
  async write(text: string): Promise<void> {
    if (!this.alive || this.inputEnded || this.opts.stdin !== 'pipe') throw new Error('stdin is not open');
    this.input.push(text);
    this.onInput(text);
  }
  /** like a child that reads its input to the end: it exits at the end of input */
  endInput() { this.inputEnded = true; if (this.opts.stdin === 'pipe') queueMicrotask(() => this.exit({ code: 0, signal: null })); }
  /** test side: the child prints a line */
  stdout(line: string) { this.outFn(line); }
  stderr(line: string) { this.errFn(line); }
  exit(status: ExitStatus) {
    if (!this.alive) return;
    this.alive = false;
    this.resolveExit(status);
  }
}

export type RunHandler = (argv: string[], opts: RunOptions) => RunResult | Promise<RunResult>;

export class FakeSpawner implements Spawner {
  readonly children: FakeChild[] = [];
  readonly runs: { argv: string[]; opts: RunOptions }[] = [];
  /** binaries that "do not exist" */
  missing = new Set<string>();
  private nextPid = 1000;

  constructor(private handler: RunHandler = () => ({ code: 0, signal: null, stdout: '', stderr: '' })) {}

  spawn(argv: string[], opts: SpawnOptions = {}): ChildProcess {
    if (this.missing.has(argv[0]!)) {
      const err = new Error(`${argv[0]}: not found`) as Error & { code: string };
      err.code = 'ENOENT';
      throw err;
    }
    const child = new FakeChild(this.nextPid++, argv, opts);
    this.children.push(child);
    return child;
  }

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    if (this.missing.has(argv[0]!)) {
      const err = new Error(`${argv[0]}: not found`) as Error & { code: string };
      err.code = 'ENOENT';
      throw err;
    }
    this.runs.push({ argv, opts });
    opts.onStarted?.();
    return this.handler(argv, opts);
  }
}
