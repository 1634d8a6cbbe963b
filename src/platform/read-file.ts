// Bounded file reads, the same in both adapters: only regular files are read (a directory, a
// FIFO that would block forever, /dev/zero that never ends are refused before reading), and at
// most `maxBytes` (a file that grows past it is refused, not cut). What goes wrong is a
// ReadError with a short reason the caller puts after the path it names.

/** Default cap: configuration files, the status file, tmpfs state files. */
export const DEFAULT_MAX_READ_BYTES = 4 * 1024 * 1024;

export type ReadErrorCode = 'ENOTREG' | 'EFBIG' | 'EACCES' | 'EIO';

export class ReadError extends Error {
  constructor(readonly code: ReadErrorCode, message: string) {
    super(message);
    this.name = 'ReadError';
  }
}

/** What kind of thing a non-regular path is, in words. */
export interface FileKind {
  isFile: boolean;
  isDirectory: boolean;
  isFIFO: boolean;
  isCharacterDevice: boolean;
  isBlockDevice: boolean;
  isSocket: boolean;
}

export function notRegular(kind: FileKind): ReadError {
  const what = kind.isDirectory ? 'a directory'
    : kind.isFIFO ? 'a FIFO'
      : kind.isCharacterDevice ? 'a character device'
        : kind.isBlockDevice ? 'a block device'
          : kind.isSocket ? 'a socket' : 'not a regular file';
  return new ReadError('ENOTREG', `is ${what}, not a regular file`);
}

export function tooBig(maxBytes: number): ReadError {
  return new ReadError('EFBIG', `is larger than ${formatBytes(maxBytes)}`);
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

/** A runtime's error (errno code) as a ReadError with a reason in words. */
export function fromSystemError(e: unknown): ReadError {
  if (e instanceof ReadError) return e;
  const code = String((e as { code?: unknown })?.code ?? '');
  switch (code) {
    case 'EACCES': case 'EPERM': return new ReadError('EACCES', 'permission denied');
    case 'EISDIR': return new ReadError('ENOTREG', 'is a directory, not a regular file');
    case 'ELOOP': return new ReadError('EIO', 'has too many levels of symbolic links');
    default: {
      const msg = String((e as { message?: unknown })?.message ?? '') || code || String(e);
      return new ReadError('EIO', `cannot be read (${msg})`);
    }
  }
}

/** ENOENT and ENOTDIR mean "not there": readText returns null for them. */
export function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Collects chunks into one buffer, refusing to grow past maxBytes. */
export class BoundedBuffer {
  private chunks: Uint8Array[] = [];
  private size = 0;
  constructor(private readonly maxBytes: number) {}
  /** false once the cap is passed */
  add(chunk: Uint8Array): boolean {
    this.size += chunk.length;
    if (this.size > this.maxBytes) return false;
    this.chunks.push(chunk.slice());
    return true;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) { out.set(c, at); at += c.length; }
    return out;
  }
}
