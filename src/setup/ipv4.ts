// IPv4 arithmetic for `wanpulse setup`: addresses as unsigned 32-bit numbers, prefixes, overlap.
import { isIPv4 } from '../config/values.ts';

export interface Cidr {
  /** network address (host bits cleared) */
  base: number;
  prefix: number;
}

export function ipToNum(s: string): number {
  return s.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

export function numToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

const size = (prefix: number) => 2 ** (32 - prefix);

/** 'a.b.c.d/n' → the network it names (host bits cleared), or null when malformed. */
export function parseCidr(s: string): { cidr: Cidr; address: number } | null {
  const m = /^([0-9.]+)\/([0-9]{1,2})$/.exec(s);
  if (!m || !isIPv4(m[1]!) || Number(m[2]) > 32) return null;
  const address = ipToNum(m[1]!);
  const prefix = Number(m[2]);
  return { cidr: { base: address - (address % size(prefix)), prefix }, address };
}

export function formatCidr(c: Cidr): string {
  return `${numToIp(c.base)}/${c.prefix}`;
}

export function contains(c: Cidr, ip: number): boolean {
  return ip >= c.base && ip < c.base + size(c.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + size(b.prefix) && b.base < a.base + size(a.prefix);
}

/** The n-th block (0-based) of the given prefix inside c, or null when c has no such block. */
export function block(c: Cidr, prefix: number, n: number): Cidr | null {
  if (prefix < c.prefix || n < 0 || n >= size(c.prefix) / size(prefix)) return null;
  return { base: c.base + n * size(prefix), prefix };
}

/** Host `n` of a network (1 = the first usable address). */
export function host(c: Cidr, n: number): number {
  return c.base + n;
}
