// Serves luci-app-wanpulse's views on loopback under the stand-in LuCI runtime, with a
// stand-in rpcd behind /ubus: `wanpulse` is the package's real ucode plugin (run by
// test/package/ucode-host.ts against the given run and config directories, check_config running
// the real `wanpulse check-config`), `uci` is a UciStore over the config directory.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, mkdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlugin, realCheckConfig, ubusRequest, type Signature } from '../package/ucode-host.ts';
import { appDir, parsePo } from '../../build/luci-i18n.mjs';
import { UciStore } from './uci-store.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const resources = join(appDir, 'htdocs/luci-static/resources');
const STAND_IN_MODULES = new Set(['form.js', 'rpc.js', 'uci.js', 'ui.js']);

export interface ServeOptions {
  /** the daemon's --run-dir (status.json, history.json) */
  runDir: string;
  /** /etc/config of the pretend router (wanpulse, mwan3, network) */
  configDir: string;
  /** "object.method" calls rpcd refuses with UBUS_STATUS_PERMISSION_DENIED (6) */
  deny?: string[];
}

export interface LuciServer {
  url: string;
  uci: UciStore;
  /** every ubus call the views made, as "object.method" */
  calls: string[];
  close(): Promise<void>;
}

function page(query: URLSearchParams): string {
  const lang = query.get('lang');
  const catalog = lang === 'de' ? JSON.stringify(Object.fromEntries(parsePo(readFileSync(join(appDir, 'po/de/wanpulse.po'), 'utf8')))) : '{}';
  const widget = query.get('widget');
  const boot = widget
    ? `L.require('view.status.include.${widget}').then(function(w) {
        var box = document.getElementById('view');
        var draw = function() { return Promise.resolve(w.load()).then(function(d) { var n = w.render(d); box.replaceChildren(E('div', { 'class': 'cbi-section' }, [ E('h3', {}, [ w.title ]), n ])); document.body.setAttribute('data-view-ready', '1'); }); };
        return draw().then(function() { L.require('poll').then(function(p) { p.add(draw, 2); }); });
      })`
    : `L.require('view.${(query.get('view') ?? 'wanpulse/status').replace(/\//g, '.')}').then(function(v) { return v.ready; })`;
  return `<!DOCTYPE html>
<html lang="${lang ?? 'en'}"><head><meta charset="utf-8"><title>wanpulse (LuCI stand-in)</title>
<link rel="stylesheet" href="/stand-in/theme.css">
<script>window.WANPULSE_STANDIN_CATALOG = ${catalog};</script>
<script src="/stand-in/luci.js"></script>
</head><body>
<header class="standin-header">OpenWrt · LuCI <span>(test stand-in)</span></header>
<div id="maincontent" class="container"><div id="view"></div></div>
<script>${boot}.catch(function(e) { console.error(e); document.body.setAttribute('data-view-error', String(e && e.message || e)); });</script>
</body></html>`;
}

function send(res: ServerResponse, code: number, type: string, body: string | Buffer) {
  res.writeHead(code, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => { let b = ''; req.on('data', (c) => { b += c; }); req.on('end', () => resolve(b)); });
}

/** The router's paths the plugin reads, mapped onto the test's directories. */
function plugin(o: ServeOptions): Signature {
  const map = (p: string) => {
    if (p.startsWith('/var/run/wanpulse/')) return join(o.runDir, p.slice('/var/run/wanpulse/'.length));
    if (p.startsWith('/etc/config/')) return join(o.configDir, p.slice('/etc/config/'.length));
    if (p.startsWith('/proc/') || p.startsWith('/tmp/wanpulse-check.')) return p;
    throw new Error(`the plugin read an unexpected path: ${p}`);
  };
  const read = (p: string) => { try { return readFileSync(map(p), 'utf8'); } catch { return null; } };
  return loadPlugin({
    readfile: read,
    writefile: (p, d) => { writeFileSync(map(p), d, { mode: 0o600 }); return true; },
    mkdir: (p, mode) => { if (existsSync(map(p))) return false; mkdirSync(map(p), { mode }); return true; },
    unlink: (p) => { try { unlinkSync(map(p)); return true; } catch { return false; } },
    rmdir: (p) => { try { rmdirSync(map(p)); return true; } catch { return false; } },
    popen: realCheckConfig,
  });
}

type Reply = [number] | [number, unknown];

function ubus(o: ServeOptions, sig: Signature, uci: UciStore, object: string, method: string, args: Record<string, unknown>): Reply {
  if (object === 'wanpulse') {
    const m = sig.wanpulse?.[method];
    if (!m) return [3]; // UBUS_STATUS_METHOD_NOT_FOUND
    const req = ubusRequest(args);
    const data = m.call(req);
    return req.errorCode !== null ? [req.errorCode] : [0, data];
  }
  if (object === 'uci') {
    const config = String(args.config ?? '');
    switch (method) {
      case 'get': { const v = uci.get(config); return v ? [0, { values: v }] : [4]; }
      case 'add': return uci.stage({ op: 'add', config, section: String(args.name), type: String(args.type), values: (args.values ?? {}) as Record<string, unknown> }) ? [0, { section: args.name }] : [2];
      case 'set': return uci.stage({ op: 'set', config, section: String(args.section), values: args.values as Record<string, unknown> }) ? [0, {}] : [2];
      case 'delete': return uci.stage({ op: 'delete', config, section: String(args.section), options: (args.options as string[] | null) ?? null }) ? [0, {}] : [2];
      case 'apply': uci.apply(); return [0, {}];
      case 'confirm': return [0, {}];
    }
  }
  return [3];
}

export async function serveLuci(o: ServeOptions): Promise<LuciServer> {
  const uci = new UciStore(o.configDir);
  const sig = plugin(o);
  const calls: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    try {
      if (req.method === 'POST' && url.pathname === '/ubus') {
        const body = JSON.parse(await readBody(req)) as { id: number; params: [string, string, string, Record<string, unknown>] };
        const [, object, method, args] = body.params;
        calls.push(`${object}.${method}`);
        if (o.deny?.includes(`${object}.${method}`)) return send(res, 200, 'application/json', JSON.stringify({ jsonrpc: '2.0', id: body.id, result: [6] }));
        return send(res, 200, 'application/json', JSON.stringify({ jsonrpc: '2.0', id: body.id, result: ubus(o, sig, uci, object, method, args) }));
      }
      if (url.pathname === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
      if (url.pathname === '/') return send(res, 200, 'text/html; charset=utf-8', page(url.searchParams));
      if (url.pathname === '/stand-in/luci.js') return send(res, 200, 'text/javascript', readFileSync(join(here, 'stand-in/luci.js')));
      if (url.pathname === '/stand-in/theme.css') return send(res, 200, 'text/css', readFileSync(join(here, 'stand-in/theme.css')));
      const m = /^\/luci-static\/resources\/(.+\.js)$/.exec(url.pathname);
      if (m) {
        const rel = normalize(m[1]!);
        if (rel.startsWith('..')) return send(res, 403, 'text/plain', 'no');
        if (STAND_IN_MODULES.has(rel)) return send(res, 200, 'text/javascript', readFileSync(join(here, 'stand-in', rel)));
        const file = join(resources, rel);
        if (existsSync(file)) return send(res, 200, 'text/javascript', readFileSync(file));
      }
      send(res, 404, 'text/plain', 'not found');
    } catch (e) {
      send(res, 500, 'text/plain', String((e as Error).stack ?? e));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    uci,
    calls,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
