// The lab relay's rate limit (agents/delayer.mjs), on loopback: a burst through an 80 kbit/s line
// leaves one datagram per serialisation time, in order, and what would wait longer than the
// queue's limit is dropped (tail drop) and counted; without a rate nothing waits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';

const RELAY = fileURLToPath(new URL('./agents/delayer.mjs', import.meta.url));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Rig { relay: ChildProcess; lines: string[]; send: (n: number, bytes: number) => void; arrivals: number[]; close: () => Promise<void> }

/** a sender → relay a → relay b → receiver, all on 127.0.0.1 ports picked by the OS */
async function rig(opts: Record<string, number | boolean>): Promise<Rig> {
  const bind = async () => { const s = dgram.createSocket('udp4'); await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r())); return s; };
  const sender = await bind();
  const receiver = await bind();
  // the relay's own ports: pick two free ones by binding and releasing
  const pa = await bind(); const pb = await bind();
  const [a, b] = [pa.address().port, pb.address().port];
  pa.close(); pb.close();
  const arrivals: number[] = [];
  receiver.on('message', () => arrivals.push(Date.now()));
  const args = { a: { host: '127.0.0.1', port: a }, aPeer: { host: '127.0.0.1', port: sender.address().port },
    b: { host: '127.0.0.1', port: b }, bPeer: { host: '127.0.0.1', port: receiver.address().port }, reportMs: 100, ...opts };
  const relay = spawn(process.execPath, [RELAY, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  relay.stdout!.setEncoding('utf8');
  relay.stdout!.on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
  for (let i = 0; i < 100 && !lines.some((l) => l.includes('"ready"')); i++) await sleep(20);
  assert.ok(lines.some((l) => l.includes('"ready"')), 'the relay started');
  return {
    relay, lines, arrivals,
    send: (n, bytes) => { for (let i = 0; i < n; i++) sender.send(Buffer.alloc(bytes, i), a, '127.0.0.1'); },
    close: async () => {
      const gone = new Promise((r) => relay.once('exit', r));
      relay.kill('SIGTERM');
      await Promise.race([gone, sleep(2000)]);
      sender.close(); receiver.close();
    },
  };
}

const lastStats = (lines: string[]) => JSON.parse(lines.filter((l) => l.includes('"stats"')).at(-1)!) as { directions: { tailDrops: number; forwarded: number; queueMaxMs: number }[] };

test('a burst through 80 kbit/s leaves 100 ms apart per 1000 bytes; beyond a 450 ms queue it is tail-dropped', async () => {
  const r = await rig({ rateKbitUp: 80, queueMs: 450 });
  try {
    r.send(10, 1000);
    await sleep(1200);
    // waits of 0, 100, …, 400 ms fit the 450 ms queue; the 6th would wait 500 ms
    assert.is(r.arrivals.length, 5, `arrivals: ${r.arrivals.length}`);
    const gaps = r.arrivals.slice(1).map((t, i) => t - r.arrivals[i]!);
    for (const g of gaps) assert.ok(g >= 80 && g <= 160, `gaps ${gaps.join(', ')} ms`);
    await sleep(150);
    const st = lastStats(r.lines).directions[0]!;
    assert.is(st.tailDrops, 5, JSON.stringify(st));
  } finally {
    await r.close();
  }
});

test('without a rate the same burst goes through at once, nothing dropped', async () => {
  const r = await rig({});
  try {
    r.send(10, 1000);
    await sleep(300);
    assert.is(r.arrivals.length, 10);
    assert.ok(r.arrivals.at(-1)! - r.arrivals[0]! < 100, `spread ${r.arrivals.at(-1)! - r.arrivals[0]!} ms`);
  } finally {
    await r.close();
  }
});

test('unarmed it forwards without delay or rate limit; from SIGUSR1 on it delays', async () => {
  const r = await rig({ armed: false, delayMs: 300, rateKbitUp: 80, queueMs: 450 });
  try {
    const t0 = Date.now();
    r.send(10, 1000);
    await sleep(200);
    assert.is(r.arrivals.length, 10, 'all ten at once: no rate limit before arming');
    assert.ok(r.arrivals.at(-1)! - t0 < 150, `no delay before arming (${r.arrivals.at(-1)! - t0} ms)`);
    r.relay.kill('SIGUSR1');
    for (let i = 0; i < 50 && !r.lines.some((l) => l.includes('"armed"')); i++) await sleep(10);
    assert.ok(r.lines.some((l) => l.includes('"armed"')), 'it says when it was armed');
    const t1 = Date.now();
    r.send(1, 100);
    await sleep(600);
    assert.is(r.arrivals.length, 11);
    assert.ok(r.arrivals[10]! - t1 >= 290, `delayed after arming (${r.arrivals[10]! - t1} ms)`);
  } finally {
    await r.close();
  }
});

test.run();
