import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFpingLine } from '../../src/probes/fping-parse.ts';

const cases: [string, ReturnType<typeof parseFpingLine>][] = [
  ['10.0.0.1 : [0], 64 bytes, 0.292 ms (0.292 avg, 0% loss)', { kind: 'reply', target: '10.0.0.1', seq: 0, rttMs: 0.292 }],
  ['10.0.0.1 : [12], 84 bytes, 31.5 ms (30.1 avg, 7% loss)', { kind: 'reply', target: '10.0.0.1', seq: 12, rttMs: 31.5 }],
  ['2001:db8::1 : [3], 64 bytes, 1.02 ms (1.00 avg, 0% loss)', { kind: 'reply', target: '2001:db8::1', seq: 3, rttMs: 1.02 }],
  ['[1795633799.84819] 127.0.0.1 : [7], 64 bytes, 0.05 ms (0.29 avg, 0% loss)', { kind: 'reply', target: '127.0.0.1', seq: 7, rttMs: 0.05 }],
  ['10.0.0.2 : [13], timed out (NaN avg, 100% loss)', { kind: 'timeout', target: '10.0.0.2', seq: 13 }],
  ['10.0.0.1 : duplicate for [12], 64 bytes, 1.30 ms', { kind: 'other' }],
  ['ICMP Host Unreachable from 10.0.0.254 for ICMP Echo sent to 10.0.0.2', { kind: 'other' }],
  ['10.0.0.1 : xmt/rcv/%loss = 5/5/0%, min/avg/max = 0.04/0.05/0.07', { kind: 'other' }],
  ['', { kind: 'other' }],
  ['garbage : [x], 64 bytes, y ms', { kind: 'other' }],
];

for (const [line, want] of cases) {
  test(`parses ${JSON.stringify(line.slice(0, 50))}`, () => assert.equal(parseFpingLine(line), want));
}

test.run();
