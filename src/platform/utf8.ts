// One UTF-8 decoder for both runtimes. Node's fs 'utf8' keeps a byte-order mark and txiki.js's
// TextDecoder drops U+FEFF anywhere and replaces invalid bytes its own way, so the same file gave
// different results (and errors) under the two. This follows the WHATWG Encoding Standard's
// UTF-8 decoder: a BOM at the very start is dropped, U+FEFF elsewhere is kept, and every maximal
// invalid subsequence becomes one U+FFFD. It also works on chunks (child output), keeping an
// incomplete sequence for the next chunk.

const REPLACEMENT = 0xfffd;
const FLUSH_AT = 8192;

export class Utf8Decoder {
  private needed = 0;
  private seen = 0;
  private cp = 0;
  private lower = 0x80;
  private upper = 0xbf;
  private atStart = true;

  /** Decodes `bytes`; with `stream`, an incomplete sequence at the end waits for the next call. */
  decode(bytes: Uint8Array, stream = false): string {
    const units: number[] = [];
    let out = '';
    const emit = (c: number) => {
      if (this.atStart) { this.atStart = false; if (c === 0xfeff) return; }
      if (c > 0xffff) { c -= 0x10000; units.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff)); } else units.push(c);
      if (units.length >= FLUSH_AT) { out += String.fromCharCode(...units); units.length = 0; }
    };
    let i = 0;
    if (this.needed === 0) {
      // fast path: child output and config files are mostly ASCII, which maps byte for byte
      while (i < bytes.length && bytes[i]! < 0x80) i++;
      for (let at = 0; at < i; at += FLUSH_AT) out += String.fromCharCode.apply(null, bytes.subarray(at, Math.min(i, at + FLUSH_AT)) as unknown as number[]);
      if (i > 0) this.atStart = false; // an ASCII first character is no byte-order mark
    }
    for (; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.needed === 0) {
        if (b <= 0x7f) emit(b);
        else if (b >= 0xc2 && b <= 0xdf) { this.needed = 1; this.cp = b & 0x1f; }
        else if (b >= 0xe0 && b <= 0xef) {
          if (b === 0xe0) this.lower = 0xa0;
          if (b === 0xed) this.upper = 0x9f;
          this.needed = 2; this.cp = b & 0x0f;
        } else if (b >= 0xf0 && b <= 0xf4) {
          if (b === 0xf0) this.lower = 0x90;
          if (b === 0xf4) this.upper = 0x8f;
          this.needed = 3; this.cp = b & 0x07;
        } else emit(REPLACEMENT);
        continue;
      }
      if (b < this.lower || b > this.upper) {
        // the sequence so far is one error; this byte starts over
        this.reset();
        emit(REPLACEMENT);
        i--;
        continue;
      }
      this.lower = 0x80;
      this.upper = 0xbf;
      this.cp = (this.cp << 6) | (b & 0x3f);
      if (++this.seen === this.needed) { const c = this.cp; this.reset(); emit(c); }
    }
    if (!stream && this.needed !== 0) { this.reset(); emit(REPLACEMENT); }
    if (!stream) this.atStart = true;
    return units.length ? out + String.fromCharCode(...units) : out;
  }

  private reset(): void {
    this.needed = this.seen = this.cp = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
  }
}

/** A whole file's bytes as text, by the rules above. */
export function decodeUtf8(bytes: Uint8Array): string {
  return new Utf8Decoder().decode(bytes);
}
