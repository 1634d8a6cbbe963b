// Bounded file reads, the same in both adapters: only regular files are read (a directory, a
// FIFO that would block forever, /dev/zero that never ends are refused before reading), and at
// most `maxBytes` (a file that grows past it is refused, not cut). What goes wrong is a
// ReadError with a short reason the caller puts after the path it names.
import type { PolledFile } from './ports.ts';
import { decodeUtf8 } from './utf8.ts';

/** Default cap: configuration files, the status file, tmpfs state files. */
export const DEFAULT_MAX_READ_BYTES = 4 * 1024 * 1024;

/** Default cap of a polled file: a sysfs attribute is at most one page. */
export const POLLED_MAX_BYTES = 4096;

export type ReadErrorCode = 'ENOTREG' | 'EFBIG' | 'EACCES' | 'EIO';

export class ReadError extends Error {
  constructor(readonly code: ReadErrorCode, message: string) {
    super(message);
    this.name = 'ReadError';
  }
}

const KINDS: [string, string][] = [
  ['Directory', 'a directory'], ['FIFO', 'a FIFO'], ['CharacterDevice', 'a character device'], ['BlockDevice', 'a block device'], ['Socket', 'a socket'],
];

/** `is('Directory')` … answer for the path (Node's Stats methods, txiki.js's getters). */
export function notRegular(is: (kind: string) => boolean): ReadError {
  const what = KINDS.find(([k]) => is(k))?.[1] ?? 'not a regular file';
  return new ReadError('ENOTREG', `is ${what}, not a regular file`);
}

export function tooBig(maxBytes: number): ReadError {
  return new ReadError('EFBIG', `is larger than ${maxBytes >= 1024 ? `${Math.round(maxBytes / 1024)} KiB` : `${maxBytes} bytes`}`);
}

/** A runtime's error (errno code) as a ReadError with a reason in words. */
export function fromSystemError(e: unknown): ReadError {
  if (e instanceof ReadError) return e;
  const code = String((e as { code?: unknown })?.code ?? '');
  if (code === 'EACCES' || code === 'EPERM') return new ReadError('EACCES', 'permission denied');
  if (code === 'EISDIR') return notRegular((k) => k === 'Directory');
  return new ReadError('EIO', `cannot be read (${code || String((e as Error)?.message ?? e)})`);
}

/** ENOENT and ENOTDIR mean "not there": readText returns null for them. */
export function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Reads with `read` (bytes read into buf, 0 or null at the end) until the end, at most maxBytes
 *  (more is an error, never a cut file), and decodes the whole as UTF-8. `size` is the file's size
 *  from stat: a regular file is then read with one read into a buffer one byte larger (a short read
 *  is its end); 0 (a /proc file says 0) or a file that grew reads on in chunks until the end. */
export async function readAllText(read: (buf: Uint8Array) => Promise<number | null>, maxBytes: number, size = 0): Promise<string> {
  if (size > maxBytes) throw tooBig(maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (size > 0) {
    const buf = new Uint8Array(size + 1);
    const n = (await read(buf)) ?? 0;
    if (n <= size) return decodeUtf8(buf.subarray(0, n));
    chunks.push(buf);
    total = n;
  }
  for (;;) {
    const buf = new Uint8Array(16384);
    const n = await read(buf);
    if (!n) break;
    total += n;
    if (total > maxBytes) throw tooBig(maxBytes);
    chunks.push(buf.subarray(0, n));
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) { all.set(c, at); at += c.length; }
  return decodeUtf8(all);
}

/** What an adapter gives polledFile(): open the path (null when it does not exist; anything but a
 *  regular file rejected with a ReadError), read into buf from offset 0 (bytes read), close. */
export interface PolledOps<H> {
  open(): Promise<H | null>;
  /** reads into buf from file offset `position`; 0 at the end */
  read(handle: H, buf: Uint8Array, position: number): Promise<number> | number;
  close(handle: H): Promise<void>;
}

/** The PolledFile of both adapters: one handle kept open and one buffer reused for every read. */
export function polledFile<H>(ops: PolledOps<H>, maxBytes = POLLED_MAX_BYTES): PolledFile {
  // one byte more than allowed: a read that fills it is a file over the cap, refused, never cut
  const buf = new Uint8Array(maxBytes + 1);
  let handle: H | null = null;
  let opening: Promise<H | null> | null = null;
  let closed = false;
  const drop = () => {
    const h = handle;
    handle = null;
    if (h !== null) void ops.close(h).catch(() => undefined);
  };
  const open = async (): Promise<H | null> => {
    opening ??= ops.open().finally(() => { opening = null; });
    const h = await opening;
    if (h === null) return null;
    if (closed) { if (handle !== h) void ops.close(h).catch(() => undefined); return null; }
    handle = h;
    return h;
  };
  // A procfs table (seq_file) answers a read with at most about a page of whole lines, so the
  // reads go on at the next offset until one returns nothing, or until `enough` holds for what
  // came so far (a caller that needs only some lines saves the read that would find the end).
  const text = async (h: H, enough?: (t: string) => boolean): Promise<string> => {
    let off = 0;
    // the text last handed to `enough`, decoded once: returned as it is when nothing came after
    let seen = '';
    let seenOff = -1;
    for (let i = 0; i <= maxBytes; i++) {
      const n = await ops.read(h, buf.subarray(off), off);
      if (!(n > 0)) break;
      off += n;
      if (off > maxBytes) throw tooBig(maxBytes);
      if (!enough) continue;
      seen = decodeUtf8(buf.subarray(0, off));
      seenOff = off;
      if (enough(seen)) break;
    }
    return seenOff === off ? seen : decodeUtf8(buf.subarray(0, off));
  };
  return {
    async read(enough) {
      if (closed) return null;
      if (handle !== null) {
        try { return await text(handle, enough); } catch { drop(); /* removed (ENODEV) or recreated: open it again */ }
      }
      let h: H | null;
      try { h = await open(); } catch (e) {
        if (isMissing(e)) return null;
        throw fromSystemError(e);
      }
      if (h === null) return null;
      try { return await text(h, enough); } catch (e) {
        drop();
        throw fromSystemError(e);
      }
    },
    async close() {
      closed = true;
      drop();
    },
  };
}
