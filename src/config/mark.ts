// mwan3's mark arithmetic. mwan3 gives every `config interface` section an id (its 1-based
// position among all interface sections, enabled or not) and spreads that id's bits over the
// set bits of `mmx_mask`, lowest first (mwan3_id2mask). With the default mask 0x3F00 that is
// id << 8. The three highest ids are reserved: all ones = "default table" (the probe mark
// 0x3f00), all ones − 1 = unreachable (0x3e00), all ones − 2 = blackhole (0x3d00).

/** Number of set bits in a 32-bit mask. */
export function maskBits(mask: number): number {
  let n = mask >>> 0;
  let bits = 0;
  while (n !== 0) { n &= n - 1; bits++; }
  return bits;
}

/** How many interfaces mwan3 can number under `mask` (ids 1..maxInterfaces). */
export function maxInterfaces(mask: number): number {
  const bits = maskBits(mask);
  return bits >= 2 ? 2 ** bits - 4 : 0;
}

/** Deposits the bits of `id` into the set bits of `mask`, lowest bit first. */
export function idToMark(id: number, mask: number): number {
  let mark = 0;
  let rest = id >>> 0;
  for (let bit = 0; bit < 32 && rest !== 0; bit++) {
    const b = 2 ** bit;
    if (((mask >>> 0) & b) === 0) continue;
    if (rest & 1) mark += b;
    rest >>>= 1;
  }
  return mark;
}

/** The mark mwan3 probes carry ("use the default table"): every mask bit set. */
export function defaultMark(mask: number): number {
  return mask >>> 0;
}

/** Parses an mwan3 mask value: hex (0x3F00) or decimal, non-zero, 32 bits. */
export function parseMask(text: string): number | null {
  const t = text.trim();
  if (!/^(0[xX][0-9a-fA-F]{1,8}|[0-9]{1,10})$/.test(t)) return null;
  const n = Number(t);
  if (!Number.isSafeInteger(n) || n <= 0 || n > 0xffffffff) return null;
  return n;
}
