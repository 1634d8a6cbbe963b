/** Splits a stream of text chunks into lines; a partial last line waits for the next chunk.
 *  A line longer than `maxLen` is cut there so a misbehaving child cannot grow memory. */
export function lineSplitter(onLine: (line: string) => void, maxLen = 4096) {
  let buf = '';
  return {
    push(chunk: string) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
      }
      if (buf.length > maxLen) {
        onLine(buf.slice(0, maxLen));
        buf = '';
      }
    },
    end() {
      if (buf.length > 0) onLine(buf);
      buf = '';
    },
  };
}

/** The last line of a program's output (its error message), '' when there is none. */
export const lastLine = (s: string): string => s.trim().split('\n').pop() ?? '';

/** Runs a callback from the event loop so that a throw is logged instead of ending the runtime
 *  (txiki.js exits on an uncaught exception in any callback, and nothing can intercept it). */
export function guarded<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (e) {
      console.error(`wanpulse: error: internal: ${(e as Error)?.stack ?? String(e)}`);
    }
  };
}
