// Small helpers for tests that build their own network namespaces: create, run inside, tear down.
// Every command is an argument array (no shell). Names carry the test's pid so parallel runs
// never touch each other's namespaces, and destroy() removes exactly the ones this set created.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeSpawner } from '../../src/platform/node.ts';
import type { ChildProcess, RunResult } from '../../src/platform/ports.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs argv; throws with stderr when it exits non-zero. */
export async function must(argv: string[], input?: string): Promise<string> {
  const r: RunResult = await nodeSpawner.run(argv, { timeoutMs: 15_000, ...(input === undefined ? {} : { input }) });
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Why namespace tests cannot run here, or null when they can. */
export async function netnsUnavailable(tools: string[]): Promise<string | null> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'not root';
  for (const tool of tools) {
    try { await nodeSpawner.run([tool, '--version'], { timeoutMs: 5000 }); } catch { return `${tool} is not installed`; }
  }
  const probe = `wpprobe${process.pid}`;
  const r = await nodeSpawner.run(['ip', 'netns', 'add', probe], { timeoutMs: 5000 });
  if (r.code !== 0) return `cannot create a network namespace: ${r.stderr.trim()}`;
  await nodeSpawner.run(['ip', 'netns', 'del', probe], { timeoutMs: 5000 });
  return null;
}

export class NetnsSet {
  private readonly names: string[] = [];
  private readonly children: ChildProcess[] = [];
  private tempDir: string | null = null;

  constructor(private readonly tag: string) {}

  /** Creates a namespace named `<tag><short><pid>` with loopback up, and returns its name. */
  async add(short: string): Promise<string> {
    const name = `${this.tag}${short}${process.pid}`;
    await must(['ip', 'netns', 'add', name]);
    this.names.push(name);
    await must(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Runs argv inside namespace `ns`. */
  exec(ns: string, argv: string[], input?: string): Promise<string> {
    return must(['ip', 'netns', 'exec', ns, ...argv], input);
  }

  /** A background process inside `ns`, ended (by its pid) in destroy(). */
  spawn(ns: string, argv: string[], onLine: (line: string) => void): ChildProcess {
    const child = nodeSpawner.spawn(['ip', 'netns', 'exec', ns, ...argv], { stdout: 'pipe', stderr: 'pipe' });
    child.onStdoutLine(onLine);
    child.onStderrLine((l) => { if (process.env.VERBOSE) console.error(`[${ns}] ${l}`); });
    this.children.push(child);
    return child;
  }

  /** An executable script `<dir>/<name>` that runs `binary` inside `ns` (for ipPath-style options). */
  wrapper(ns: string, name: string, binary: string): string {
    this.tempDir ??= mkdtempSync(join(tmpdir(), `${this.tag}${process.pid}-`));
    const path = join(this.tempDir, name);
    writeFileSync(path, `#!/bin/sh\nexec ip netns exec '${ns}' '${binary}' "$@"\n`);
    chmodSync(path, 0o755);
    return path;
  }

  /** A scratch directory that destroy() removes. */
  scratch(): string {
    this.tempDir ??= mkdtempSync(join(tmpdir(), `${this.tag}${process.pid}-`));
    return this.tempDir;
  }

  async destroy(): Promise<void> {
    for (const child of this.children.splice(0)) {
      child.kill('SIGKILL');
      await Promise.race([child.exited, sleep(2000)]);
    }
    for (const name of this.names.splice(0)) {
      await nodeSpawner.run(['ip', 'netns', 'del', name], { timeoutMs: 5000 }).catch(() => undefined);
    }
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
    this.tempDir = null;
  }
}
