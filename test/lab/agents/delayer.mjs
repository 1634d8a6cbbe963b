#!/usr/bin/env node
// Latency for the lab without netem (this kernel has none): a UDP relay put into a WireGuard
// tunnel's underlay. Both WireGuard ends are pointed at it, one at each of its two sockets; every
// datagram is held for delayMs (± jitterMs, uniformly) before it goes out of the other socket.
//   main's wg ──▶ [a] ─ hold ─▶ [b] ──▶ uplink router's wg      (and back the same way)
// Order is kept per direction (a datagram never leaves before the one queued before it), like a
// real line, so jitter does not reorder. A direction's queue holds at most maxQueue datagrams;
// beyond that new ones are dropped (counted), so a flood cannot grow the relay without bound.
// rampMs: the delay grows linearly from 0 to delayMs over rampMs, as a queue fills on a saturated
// line (a step would be a silence as long as the delay, which looks like a cut to anyone).
// Rate limit (rateKbitUp for a→b, i.e. main → uplink router, the upload; rateKbitDown for b→a):
// the direction is a line of that many kbit/s with a FIFO in front of it. A datagram leaves when
// the serialisation of everything queued before it is done (a virtual clock, `busyUntil`, plus
// its own length × 8 / rate), then the delay above. The queue is limited in time (queueMs: the
// longest a datagram may wait before its serialisation starts) and optionally in bytes
// (queueBytes, converted to time at the rate); a datagram that would wait longer is dropped
// (tail drop), as a modem's buffer does. Lengths are the UDP payload (the WireGuard datagram).
// armed: false: no delay and no rate limit until SIGUSR1 (then the ramp starts), {ev:'armed'}.
// SIGUSR2: no more delay and no rate limit for new datagrams (they still leave after the ones
// already held), so the lab can point WireGuard back and let the relay drain before it goes.
// SIGTERM/SIGINT: what is still queued goes out at once, then it exits.
// Prints JSON lines: {ev:'ready'} once both sockets are bound, {ev:'stats',…} every reportMs and
// at exit; per direction: forwarded, dropped (maxQueue), tailDrops (queue limit), bytes, and the
// queueing delay (ms before serialisation starts) now, the largest and the mean since the last
// report.
// Usage: node delayer.mjs '{"a":{"host","port"},"aPeer":{"host","port"},"b":{…},"bPeer":{…},
//                           "delayMs":75,"jitterMs":0,"maxQueue":2048,"reportMs":5000,"rampMs":0,
//                           "rateKbitUp":0,"rateKbitDown":0,"queueMs":2000,"queueBytes":0}'
import dgram from 'node:dgram';

const o = { delayMs: 0, jitterMs: 0, maxQueue: 2048, reportMs: 5000, ...JSON.parse(process.argv[2] ?? '{}') };
for (const k of ['a', 'aPeer', 'b', 'bPeer']) {
  if (!o[k] || typeof o[k].host !== 'string' || !Number.isInteger(o[k].port)) {
    console.error(`delayer: option ${k} needs {host, port}`);
    process.exit(2);
  }
}
let delayMs = Math.max(0, Number(o.delayMs) || 0);
let jitterMs = Math.max(0, Math.min(delayMs, Number(o.jitterMs) || 0));
const rampMs = Math.max(0, Number(o.rampMs) || 0);
// armed: false starts as a plain forwarder (no delay, no rate limit) until SIGUSR1, so the lab can
// put the relay in first and begin the fault at a moment of its choosing
let armedAt = o.armed === false ? null : Date.now();
const currentDelay = () => {
  if (armedAt === null) return 0;
  return rampMs > 0 ? delayMs * Math.min(1, (Date.now() - armedAt) / rampMs) : delayMs;
};
const maxQueue = Math.max(1, Math.min(1 << 16, Number(o.maxQueue) || 2048));
const kbit = (v) => Math.max(0, Math.min(10_000_000, Number(v) || 0));
const queueMsLimit = Math.max(1, Math.min(60_000, Number(o.queueMs) || 2000));
const queueBytes = Math.max(0, Number(o.queueBytes) || 0);
let limited = true;
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

/** One direction: datagrams received on `from` leave through `to` towards `dest`, through a line
 *  of rateKbit kbit/s (0: unlimited) when limited. */
function direction(name, to, dest, rateKbit) {
  const queue = []; // { msg, dueAt }, dueAt non-decreasing
  let head = 0;
  let timer = null;
  let lastDueAt = 0;
  /** when the line has serialised everything queued so far (epoch ms, fractional) */
  let busyUntil = 0;
  // the queue limit in ms of waiting: queueMs, or less when queueBytes at this rate is shorter
  const limitMs = rateKbit > 0 && queueBytes > 0 ? Math.min(queueMsLimit, (queueBytes * 8) / rateKbit) : queueMsLimit;
  const st = { name, rateKbit, queueLimitMs: rateKbit > 0 ? Math.round(limitMs) : null, forwarded: 0, dropped: 0, maxQueued: 0, tailDrops: 0, bytes: 0,
    queueMs: 0, queueMaxMs: 0, queueAvgMs: 0 };
  let qSum = 0;
  let qN = 0;
  const send = (msg) => { to.send(msg, dest.port, dest.host); st.forwarded++; st.bytes += msg.length; };
  const pump = () => {
    timer = null;
    const now = Date.now();
    while (head < queue.length && queue[head].dueAt <= now) send(queue[head++].msg);
    if (head > 1024 && head * 2 > queue.length) { queue.splice(0, head); head = 0; }
    if (head < queue.length) timer = setTimeout(pump, Math.max(0, queue[head].dueAt - now));
  };
  return {
    st,
    push(msg) {
      const queued = queue.length - head;
      if (queued >= maxQueue) { st.dropped++; return; }
      const now = Date.now();
      let leaveAt = now;
      if (limited && armedAt !== null && rateKbit > 0) {
        const start = Math.max(now, busyUntil);
        const waitMs = start - now;
        if (waitMs > limitMs) { st.tailDrops++; return; }
        busyUntil = start + (msg.length * 8) / rateKbit; // kbit/s = bits per ms
        leaveAt = busyUntil;
        qSum += waitMs;
        qN++;
        st.queueMaxMs = Math.max(st.queueMaxMs, waitMs);
      }
      const dueAt = Math.max(leaveAt + currentDelay() + (Math.random() * 2 - 1) * jitterMs, lastDueAt);
      lastDueAt = dueAt;
      queue.push({ msg, dueAt });
      st.maxQueued = Math.max(st.maxQueued, queued + 1);
      if (timer === null) timer = setTimeout(pump, Math.max(0, dueAt - Date.now()));
    },
    /** the queueing figures for a report; the period's max and mean start over */
    report() {
      st.queueMs = rateKbit > 0 ? Math.round(Math.max(0, busyUntil - Date.now())) : 0;
      st.queueAvgMs = qN ? Math.round(qSum / qN) : 0;
      st.queueMaxMs = Math.round(st.queueMaxMs);
      const snap = { ...st };
      qSum = 0;
      qN = 0;
      st.queueMaxMs = 0;
      return snap;
    },
    /** sends everything still queued now */
    flush() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      while (head < queue.length) send(queue[head++].msg);
    },
  };
}

const sockA = dgram.createSocket('udp4');
const sockB = dgram.createSocket('udp4');
const aToB = direction('a→b', sockB, o.bPeer, kbit(o.rateKbitUp));
const bToA = direction('b→a', sockA, o.aPeer, kbit(o.rateKbitDown));
// only the expected peer of each socket is relayed: nothing else can use the relay
const from = (peer) => (rinfo) => rinfo.address === peer.host && rinfo.port === peer.port;
const fromA = from(o.aPeer);
const fromB = from(o.bPeer);
let ignored = 0;
sockA.on('message', (msg, rinfo) => { if (fromA(rinfo)) aToB.push(msg); else ignored++; });
sockB.on('message', (msg, rinfo) => { if (fromB(rinfo)) bToA.push(msg); else ignored++; });
for (const s of [sockA, sockB]) s.on('error', (e) => { console.error(`delayer: ${e.message}`); process.exit(1); });

const stats = () => ({ ev: 'stats', at: Date.now(), delayMs, jitterMs, ignored, directions: [aToB.report(), bToA.report()] });
let bound = 0;
const onBound = () => { if (++bound === 2) out({ ev: 'ready', at: Date.now(), delayMs, jitterMs, maxQueue, rateKbitUp: aToB.st.rateKbit, rateKbitDown: bToA.st.rateKbit, queueMs: queueMsLimit }); };
sockA.bind(o.a.port, o.a.host, onBound);
sockB.bind(o.b.port, o.b.host, onBound);
const report = o.reportMs > 0 ? setInterval(() => out(stats()), Math.max(100, o.reportMs)) : null;

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  if (report) clearInterval(report);
  aToB.flush();
  bToA.flush();
  out(stats());
  // sends are queued in libuv; closing the sockets lets them go out, then the process ends by
  // itself (the timer bounds it: never hangs)
  sockA.close();
  sockB.close();
  setTimeout(() => process.exit(0), 200).unref();
};
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, stop);
process.on('SIGUSR1', () => {
  if (armedAt !== null) return;
  armedAt = Date.now();
  out({ ev: 'armed', at: armedAt });
});
process.on('SIGUSR2', () => {
  delayMs = 0;
  jitterMs = 0;
  limited = false;
  out({ ev: 'passthrough', at: Date.now() });
});
