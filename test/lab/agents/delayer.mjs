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
// SIGUSR2: no more delay for new datagrams (they still leave after the ones already held), so
// the lab can point WireGuard back and let the relay drain before it goes. SIGTERM/SIGINT: what
// is still queued goes out at once, then it exits.
// Prints JSON lines: {ev:'ready'} once both sockets are bound, {ev:'stats',…} every reportMs and
// at exit.
// Usage: node delayer.mjs '{"a":{"host","port"},"aPeer":{"host","port"},"b":{…},"bPeer":{…},
//                           "delayMs":75,"jitterMs":0,"maxQueue":2048,"reportMs":5000}'
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
const startedAt = Date.now();
const currentDelay = () => (rampMs > 0 ? delayMs * Math.min(1, (Date.now() - startedAt) / rampMs) : delayMs);
const maxQueue = Math.max(1, Math.min(1 << 16, Number(o.maxQueue) || 2048));
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

/** One direction: datagrams received on `from` leave through `to` towards `dest`. */
function direction(name, to, dest) {
  const queue = []; // { msg, dueAt }, dueAt non-decreasing
  let head = 0;
  let timer = null;
  let lastDueAt = 0;
  const st = { name, forwarded: 0, dropped: 0, maxQueued: 0 };
  const send = (msg) => { to.send(msg, dest.port, dest.host); st.forwarded++; };
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
      const dueAt = Math.max(Date.now() + currentDelay() + (Math.random() * 2 - 1) * jitterMs, lastDueAt);
      lastDueAt = dueAt;
      queue.push({ msg, dueAt });
      st.maxQueued = Math.max(st.maxQueued, queued + 1);
      if (timer === null) timer = setTimeout(pump, Math.max(0, dueAt - Date.now()));
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
const aToB = direction('a→b', sockB, o.bPeer);
const bToA = direction('b→a', sockA, o.aPeer);
// only the expected peer of each socket is relayed: nothing else can use the relay
const from = (peer) => (rinfo) => rinfo.address === peer.host && rinfo.port === peer.port;
const fromA = from(o.aPeer);
const fromB = from(o.bPeer);
let ignored = 0;
sockA.on('message', (msg, rinfo) => { if (fromA(rinfo)) aToB.push(msg); else ignored++; });
sockB.on('message', (msg, rinfo) => { if (fromB(rinfo)) bToA.push(msg); else ignored++; });
for (const s of [sockA, sockB]) s.on('error', (e) => { console.error(`delayer: ${e.message}`); process.exit(1); });

const stats = () => ({ ev: 'stats', at: Date.now(), delayMs, jitterMs, ignored, directions: [aToB.st, bToA.st] });
let bound = 0;
const onBound = () => { if (++bound === 2) out({ ev: 'ready', at: Date.now(), delayMs, jitterMs, maxQueue }); };
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
process.on('SIGUSR2', () => {
  delayMs = 0;
  jitterMs = 0;
  out({ ev: 'passthrough', at: Date.now() });
});
