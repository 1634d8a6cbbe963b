// Bundle-time stand-in for the npm `buffer` polyfill (~27 KB minified with base64-js and ieee754),
// which mqtt-packet and bl's BufferList reach through `require('buffer')`. txiki.js has no Buffer
// global, so the bundle needs one of its own; this one implements only what mqtt-packet 9.0.2 and
// bl 6's BufferList call, with Node's semantics for those calls (test/mqtt/buffer-shim.test.ts
// checks it byte for byte against Node's Buffer). Only UTF-8 text is supported: MQTT strings are
// UTF-8, and any other encoding throws instead of silently producing different bytes.
'use strict';

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the text, as Node's Buffer#toString does.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

function checkEncoding(encoding) {
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) throw new TypeError(`Unknown encoding: ${encoding}`);
}

// UTF-8 size of a string without encoding it; a lone surrogate counts as U+FFFD (3 bytes), which
// is what TextEncoder and Node write for it.
function utf8Length(s) {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { bytes += 4; i++; }
    else bytes += 3;
  }
  return bytes;
}

function checkOffset(buf, offset, size) {
  if (!Number.isInteger(offset) || offset < 0 || offset + size > buf.length) {
    throw new RangeError(`offset ${offset} is out of bounds for ${size} byte(s) in a buffer of ${buf.length}`);
  }
}

function checkUInt(buf, value, offset, size, max) {
  if (value < 0 || value > max) throw new RangeError(`value ${value} is out of range 0..${max}`);
  checkOffset(buf, offset, size);
}

function nonNegative(name, value) {
  const n = Math.trunc(Number(value)) || 0;
  if (n < 0) throw new RangeError(`"${name}" must be >= 0, got ${value}`);
  return n;
}

class Buffer extends Uint8Array {
  static alloc(size) { return new Buffer(size); }

  static allocUnsafe(size) { return new Buffer(size); }

  /** from(array | typed array) copies; from(ArrayBuffer, byteOffset, length) is a view; from(string) encodes UTF-8. */
  static from(value, encodingOrOffset, length) {
    if (typeof value === 'string') {
      checkEncoding(encodingOrOffset);
      const bytes = encoder.encode(value);
      return new Buffer(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    if (value instanceof ArrayBuffer || Object.prototype.toString.call(value) === '[object SharedArrayBuffer]') {
      const offset = encodingOrOffset === undefined ? 0 : Number(encodingOrOffset) || 0;
      return new Buffer(value, offset, length === undefined ? value.byteLength - offset : Number(length) || 0);
    }
    if (value === null || typeof value !== 'object') throw new TypeError(`Buffer.from: unsupported argument of type ${typeof value}`);
    return new Buffer(value);
  }

  static byteLength(value, encoding) {
    if (typeof value === 'string') {
      checkEncoding(encoding);
      return utf8Length(value);
    }
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
    throw new TypeError('Buffer.byteLength: argument must be a string, Buffer or ArrayBuffer');
  }

  static isBuffer(value) { return value instanceof Buffer; }

  static concat(list, totalLength) {
    if (totalLength === undefined) totalLength = list.reduce((sum, b) => sum + b.length, 0);
    const out = new Buffer(totalLength);
    let pos = 0;
    for (const b of list) {
      if (pos >= totalLength) break;
      const n = Math.min(b.length, totalLength - pos);
      out.set(n < b.length ? b.subarray(0, n) : b, pos);
      pos += n;
    }
    return out;
  }

  /** A view, not a copy: Node's Buffer#slice shares memory (Uint8Array#slice would copy). */
  slice(start, end) { return this.subarray(start, end); }

  toString(encoding, start, end) {
    checkEncoding(encoding);
    start = start === undefined ? 0 : Math.max(0, Math.trunc(Number(start)) || 0);
    end = end === undefined ? this.length : Math.min(this.length, Math.trunc(Number(end)) || 0);
    if (end <= start) return '';
    const bytes = this.subarray(start, end);
    const text = decoder.decode(bytes);
    // In case a runtime's TextDecoder drops the BOM despite ignoreBOM.
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    return bom && text.charCodeAt(0) !== 0xfeff ? `\ufeff${text}` : text;
  }

  /** Writes UTF-8 at offset; never a partial character. Returns the number of bytes written. */
  write(string, offset, length, encoding) {
    if (typeof offset === 'string') { encoding = offset; offset = undefined; length = undefined; }
    else if (typeof length === 'string') { encoding = length; length = undefined; }
    checkEncoding(encoding);
    offset = offset === undefined ? 0 : offset;
    if (!Number.isInteger(offset) || offset < 0 || offset > this.length) throw new RangeError(`offset ${offset} is out of bounds`);
    const room = Math.min(this.length - offset, length === undefined ? Infinity : nonNegative('length', length));
    const bytes = encoder.encode(string);
    let n = Math.min(bytes.length, room);
    // Cut before the first byte of the character that does not fit whole (skip continuation bytes).
    if (n < bytes.length) while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--;
    this.set(bytes.subarray(0, n), offset);
    return n;
  }

  copy(target, targetStart, sourceStart, sourceEnd) {
    targetStart = targetStart === undefined ? 0 : nonNegative('targetStart', targetStart);
    sourceStart = sourceStart === undefined ? 0 : nonNegative('sourceStart', sourceStart);
    if (sourceStart > this.length) throw new RangeError(`"sourceStart" must be <= ${this.length}, got ${sourceStart}`);
    sourceEnd = sourceEnd === undefined ? this.length : Math.min(this.length, nonNegative('sourceEnd', sourceEnd));
    if (targetStart >= target.length || sourceStart >= sourceEnd) return 0;
    const n = Math.min(sourceEnd - sourceStart, target.length - targetStart);
    target.set(this.subarray(sourceStart, sourceStart + n), targetStart);
    return n;
  }

  readUInt8(offset = 0) {
    checkOffset(this, offset, 1);
    return this[offset];
  }

  readUInt16BE(offset = 0) {
    checkOffset(this, offset, 2);
    return this[offset] * 0x100 + this[offset + 1];
  }

  readUInt32BE(offset = 0) {
    checkOffset(this, offset, 4);
    return this[offset] * 0x1000000 + (this[offset + 1] << 16 | this[offset + 2] << 8 | this[offset + 3]);
  }

  writeUInt8(value, offset = 0) {
    value = +value;
    checkUInt(this, value, offset, 1, 0xff);
    this[offset] = value;
    return offset + 1;
  }

  writeUInt16BE(value, offset = 0) {
    value = +value;
    checkUInt(this, value, offset, 2, 0xffff);
    this[offset] = value >>> 8;
    this[offset + 1] = value;
    return offset + 2;
  }

  writeUInt32BE(value, offset = 0) {
    value = +value;
    checkUInt(this, value, offset, 4, 0xffffffff);
    this[offset] = value >>> 24;
    this[offset + 1] = value >>> 16;
    this[offset + 2] = value >>> 8;
    this[offset + 3] = value;
    return offset + 4;
  }
}

module.exports = { Buffer };
