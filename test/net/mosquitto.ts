// Starts a real Mosquitto on loopback for integration tests: free ports, `allow_anonymous false`
// with a password file made by `mosquitto_passwd -b`, and a TLS listener whose CA and server
// certificate the test generates with `openssl` in a temp dir. Everything lives in that dir and
// is removed by stop().
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Mosquitto {
  host: string;
  port: number;
  tlsPort: number;
  dir: string;
  user: string;
  password: string;
  /** path and text of the CA that signed the server certificate */
  caFile: string;
  caPem: string;
  /** a CA that did not sign it */
  wrongCaFile: string;
  /** the broker's stderr so far (for failure messages) */
  output(): string;
  /** SIGTERM and wait; retained messages are gone afterwards (no persistence) */
  stopBroker(): Promise<void>;
  startBroker(): Promise<void>;
  /** stops the broker and removes the temp dir */
  stop(): Promise<void>;
}

export function haveMosquitto(): boolean {
  return ['mosquitto', 'mosquitto_passwd', 'openssl'].every((bin) =>
    spawnSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).status === 0
    || spawnSync('test', ['-x', `/usr/sbin/${bin}`]).status === 0);
}

function run(argv: string[], cwd: string): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => { s.destroy(); resolve(ok); };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    setTimeout(() => done(false), 500);
  });
}

function makeCa(dir: string, name: string): void {
  run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=wanpulse test ${name}`], dir);
}

function makeCerts(dir: string): void {
  makeCa(dir, 'ca');
  makeCa(dir, 'wrong-ca');
  run(['openssl', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(['openssl', 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.crt', '-days', '2', '-extfile', 'san.cnf'], dir);
}

export async function startMosquitto(): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), `wanpulse-mqtt-${process.pid}-`));
  const user = 'wanpulse';
  const password = `pw-${process.pid}-${Math.random().toString(36).slice(2)}`;
  let proc: ChildProcess | null = null;
  let stderr = '';
  try {
    run(['mosquitto_passwd', '-c', '-b', join(dir, 'passwd'), user, password], dir);
    makeCerts(dir);
    const port = await freePort();
    let tlsPort = await freePort();
    while (tlsPort === port) tlsPort = await freePort();
    writeFileSync(join(dir, 'mosquitto.conf'), [
      // stay root: the temp dir is not readable by the `mosquitto` user
      'user root',
      'per_listener_settings false',
      'allow_anonymous false',
      `password_file ${join(dir, 'passwd')}`,
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      `listener ${port} 127.0.0.1`,
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${join(dir, 'ca.crt')}`,
      `certfile ${join(dir, 'server.crt')}`,
      `keyfile ${join(dir, 'server.key')}`,
      '',
    ].join('\n'));

    const startBroker = async () => {
      if (proc) return;
      const p = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
      p.stderr!.on('data', (b: Buffer) => { stderr += b.toString(); });
      proc = p;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        if (p.exitCode !== null) throw new Error(`mosquitto exited ${p.exitCode}: ${stderr}`);
        if (await canConnect(port) && await canConnect(tlsPort)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`mosquitto did not listen within 10 s: ${stderr}`);
    };
    const stopBroker = async () => {
      const p = proc;
      if (!p) return;
      proc = null;
      if (p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    };
    await startBroker();
    return {
      host: '127.0.0.1', port, tlsPort, dir, user, password,
      caFile: join(dir, 'ca.crt'),
      caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      wrongCaFile: join(dir, 'wrong-ca.crt'),
      output: () => stderr,
      stopBroker,
      startBroker,
      async stop() {
        await stopBroker();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (proc) (proc as ChildProcess).kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
