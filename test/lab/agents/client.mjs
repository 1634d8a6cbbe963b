#!/usr/bin/env node
// Traffic client, run inside the lab's `lan` namespace. Keeps flows to the sink going and reports,
// as JSON lines on stdout, what a user of the network would notice:
//   {ev:'via', flow, via, at}            a flow's replies now come through another uplink
//   {ev:'gap', flow, gapMs, from, to}    replies of a flow stopped for longer than gapMs
//   {ev:'reconnect', flow, reason, at}   a TCP flow gave up its connection and opens a new one
//   {ev:'summary', at, flows:{…}}        every reportMs: per flow its uplink and replies since last
//   {ev:'upload', flow, via, bytes, at}  every reportMs while an upload runs: bytes the sink got
// Flows: `stream` (UDP, one datagram every streamIntervalMs, one socket for its whole life),
// u1…uN (UDP every 100 ms), t1…tN (TCP every 100 ms), `long` (a long-lived TCP connection that
// reconnects when it stalls, like an application would), `upload` (a TCP connection sending
// uploadKbit kbit/s of data to the sink's upload port, which reports how much arrived; more than
// the line takes, so the line's queue fills, like a backup or a video call's upload).
// Usage: node client.mjs '<json options>'
import dgram from 'node:dgram';
import net from 'node:net';

/** Calls `fn` for every line the socket sends (without the newline); `fn` returning false stops
 *  reading the rest of that chunk (the socket is being replaced). */
function onLines(s, fn) {
  let partial = '';
  s.on('data', (chunk) => {
    partial += chunk;
    for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      if (!fn(line)) return;
    }
  });
}

const o = {
  sink: '203.0.113.10', udpPort: 5001, tcpPort: 5002,
  stream: true, streamIntervalMs: 10, streamVia: null,
  udpFlows: 0, tcpFlows: 0, flowIntervalMs: 100,
  long: false, longVia: null, stallMs: 1000,
  upload: false, uploadVia: null, uploadKbit: 3000, uploadPort: 5003, uploadStallMs: 5000,
  gapMs: 50, reportMs: 1000,
  ...JSON.parse(process.argv[2] ?? '{}'),
};

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const flows = new Map(); // name → { via, recv, sent, lastReplyAt }
const timers = [];
const every = (ms, fn) => { const t = setInterval(fn, ms); timers.push(t); return t; };

function flowState(name) {
  let f = flows.get(name);
  if (!f) { f = { via: null, recv: 0, sent: 0, lastReplyAt: null }; flows.set(name, f); }
  return f;
}

function replied(name, via, gapMs = Infinity) {
  const f = flowState(name);
  const now = Date.now();
  if (f.lastReplyAt !== null && now - f.lastReplyAt > gapMs) out({ ev: 'gap', flow: name, gapMs: now - f.lastReplyAt, from: f.lastReplyAt, to: now });
  if (via !== f.via) out({ ev: 'via', flow: name, via, at: now, from: f.via });
  f.via = via;
  f.recv++;
  f.lastReplyAt = now;
}

/** A UDP flow on one socket. With `want`, first tries up to 16 source ports and keeps the first
 *  whose replies come through that uplink (the multipath hash decides per 5-tuple). */
function udpFlow(name, intervalMs, want, gapMs) {
  const candidates = [];
  let chosen = null;
  const choose = (sock) => {
    chosen = sock;
    for (const c of candidates) if (c !== sock) c.close();
    let seq = 0;
    every(intervalMs, () => { flowState(name).sent++; sock.send(`${name} ${++seq}`, o.udpPort, o.sink); });
  };
  const open = () => {
    const sock = dgram.createSocket('udp4');
    candidates.push(sock);
    sock.on('error', () => undefined);
    sock.on('message', (msg) => {
      const via = msg.toString().split(' ')[2];
      if (!chosen && (!want || via === want)) choose(sock);
      if (chosen === sock) replied(name, via, gapMs);
    });
    sock.bind(0, () => sock.send(`${name} 0`, o.udpPort, o.sink));
  };
  if (!want) { const s = dgram.createSocket('udp4'); candidates.push(s); s.on('error', () => undefined); s.on('message', (m) => replied(name, m.toString().split(' ')[2], gapMs)); s.bind(0, () => choose(s)); return; }
  for (let i = 0; i < 16; i++) open();
  setTimeout(() => { if (!chosen && candidates.length) choose(candidates[0]); }, 3000);
}

/** A TCP flow that sends a line every intervalMs and reconnects after stallMs without a reply. */
function tcpFlow(name, intervalMs, want) {
  let sock = null;
  let seq = 0;
  let lastActivity = Date.now();
  let attempts = 0;
  const connect = (reason) => {
    if (sock) { sock.destroy(); out({ ev: 'reconnect', flow: name, reason, at: Date.now() }); }
    const s = net.createConnection({ host: o.sink, port: o.tcpPort });
    sock = s;
    lastActivity = Date.now();
    s.setNoDelay(true);
    s.setEncoding('utf8');
    onLines(s, (line) => {
      const via = line.split(' ')[1];
      // a first connection that landed on the wrong uplink is retried on a new source port
      if (want && flowState(name).via === null && via !== want && attempts++ < 16) { connect('choosing uplink'); return false; }
      lastActivity = Date.now();
      replied(name, via);
      return true;
    });
    s.on('error', (e) => { if (sock === s) connect(e.code ?? e.message); });
    s.on('close', () => { if (sock === s) setTimeout(() => { if (sock === s) connect('closed'); }, 50); });
  };
  connect('start');
  every(intervalMs, () => {
    if (!sock) return;
    if (Date.now() - lastActivity > o.stallMs) { connect('stalled'); return; }
    if (sock.readyState === 'open') { flowState(name).sent++; sock.write(`${++seq}\n`); }
  });
}

/** A TCP upload at kbit kbit/s (application-paced, so it stays bounded on a fast uplink). The
 *  pace is kept by elapsed time, not by the timer's cadence (on a loaded machine timers come
 *  late), with no more than 256 KB waiting in Node: the kernel's socket buffer holds the rest.
 *  The sink's progress lines are its replies; none for uploadStallMs and it reconnects. */
function uploadFlow(name, kbit, want) {
  let sock = null;
  let lastActivity = Date.now();
  let attempts = 0;
  let acked = 0;
  let credit = 0;
  let lastTick = Date.now();
  const block = Buffer.alloc(65536, 0x61);
  const connect = (reason) => {
    if (sock) { sock.destroy(); out({ ev: 'reconnect', flow: name, reason, at: Date.now() }); }
    const s = net.createConnection({ host: o.sink, port: o.uploadPort });
    sock = s;
    lastActivity = Date.now();
    s.setEncoding('utf8');
    onLines(s, (line) => {
      const [bytes, via] = line.split(' ');
      if (want && flowState(name).via === null && via !== want && attempts++ < 16) { connect('choosing uplink'); return false; }
      lastActivity = Date.now();
      acked = Number(bytes);
      replied(name, via);
      return true;
    });
    s.on('error', (e) => { if (sock === s) connect(e.code ?? e.message); });
    s.on('close', () => { if (sock === s) setTimeout(() => { if (sock === s) connect('closed'); }, 50); });
  };
  connect('start');
  every(20, () => {
    const now = Date.now();
    credit = Math.min(credit + ((now - lastTick) * kbit) / 8, 4 * block.length);
    lastTick = now;
    if (!sock) return;
    if (now - lastActivity > o.uploadStallMs) { connect('stalled'); return; }
    if (sock.readyState !== 'open' || flowState(name).via === null) return;
    for (let i = 0; i < 8 && credit >= 1 && sock.writableLength < 4 * block.length; i++) {
      const n = Math.min(block.length, Math.floor(credit));
      credit -= n;
      flowState(name).sent++;
      sock.write(n === block.length ? block : block.subarray(0, n));
    }
  });
  every(o.reportMs, () => { if (flowState(name).via !== null) out({ ev: 'upload', flow: name, via: flowState(name).via, bytes: acked, at: Date.now() }); });
}

if (o.stream) udpFlow('stream', o.streamIntervalMs, o.streamVia, o.gapMs);
for (let i = 1; i <= o.udpFlows; i++) udpFlow(`u${i}`, o.flowIntervalMs, null, Infinity);
for (let i = 1; i <= o.tcpFlows; i++) tcpFlow(`t${i}`, o.flowIntervalMs, null);
if (o.long) tcpFlow('long', 50, o.longVia);
if (o.upload) uploadFlow('upload', o.uploadKbit, o.uploadVia);

every(o.reportMs, () => {
  const now = Date.now();
  const snap = {};
  for (const [name, f] of flows) {
    snap[name] = { via: f.via, recv: f.recv, sent: f.sent, silentMs: f.lastReplyAt === null ? null : now - f.lastReplyAt };
    f.recv = 0;
    f.sent = 0;
  }
  out({ ev: 'summary', at: now, flows: snap });
});
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => { for (const t of timers) clearInterval(t); process.exit(0); });
