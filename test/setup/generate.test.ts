// What `wanpulse setup` generates, read back as UCI structures (no golden files): the main
// router's tunnels, peers, routes, firewall membership, mwan3 interfaces/members/policies/rules
// and wanpulse's switch; each uplink router's server side, zone, forwarding, NAT.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config/load.ts';
import { findSection, packagesFromBatch } from '../../src/setup/command.ts';
import { serialize, type Packages, type Sec } from '../../src/setup/uci-model.ts';
import { fakePub, router, PACKAGES } from './harness.ts';
import { MemoryFs } from '../fakes/fs.ts';

const get = (pkgs: Packages, pkg: string, ref: string): Sec => {
  const s = findSection(pkgs.get(pkg) ?? [], ref);
  if (!s) throw new Error(`${pkg}.${ref} missing`);
  return s;
};
const opt = (s: Sec, o: string) => s.options.get(o);

test('main router: WireGuard interfaces, peers and one default route per tunnel', async () => {
  const r = router();
  const res = await r.run(['--out', '/out']);
  assert.is(res.code, 0, res.stderr);
  const m = packagesFromBatch(r.fs.files.get('/out/main.uci')!);
  const up0 = packagesFromBatch(r.fs.files.get('/out/wg0.uci')!);
  const wg0 = get(m, 'network', 'wg0');
  assert.is(wg0.type, 'interface');
  assert.is(opt(wg0, 'proto'), 'wireguard');
  assert.equal(opt(wg0, 'addresses'), ['10.91.1.2/24']);
  assert.is(opt(wg0, 'mtu'), '1420');
  const peer = get(m, 'network', 'wp_wg0_peer');
  assert.is(peer.type, 'wireguard_wg0');
  assert.is(opt(peer, 'endpoint_host'), '172.30.1.2');
  assert.is(opt(peer, 'endpoint_port'), '51820');
  assert.equal(opt(peer, 'allowed_ips'), ['0.0.0.0/0']);
  assert.is(opt(peer, 'route_allowed_ips'), '0');
  assert.is(opt(peer, 'persistent_keepalive'), '25');
  // the peer's key is the uplink router's public key, derived from the private key in wg0.uci
  assert.is(opt(peer, 'public_key'), fakePub(String(opt(get(up0, 'network', 'wg0'), 'private_key'))));
  const routes = ['wp_wg0_route', 'wp_wg1_route'].map((n) => get(m, 'network', n));
  assert.equal(routes.map((x) => [opt(x, 'interface'), opt(x, 'target')]), [['wg0', '0.0.0.0/0'], ['wg1', '0.0.0.0/0']]);
  assert.is.not(opt(routes[0]!, 'metric'), opt(routes[1]!, 'metric'));
});

test('main router: wan zone membership, mwan3 with endpoints exempted first, wanpulse on', async () => {
  const r = router();
  assert.is((await r.run(['--out', '/out', '--apply'])).code, 0);
  const cfg = r.packages();
  const wan = get(cfg, 'firewall', '@zone[1]');
  assert.is(opt(wan, 'name'), 'wan');
  assert.equal(opt(wan, 'network'), ['wan', 'wan6', 'wg0', 'wg1']);
  assert.is(opt(wan, 'masq'), '1');
  const mw = get(cfg, 'mwan3', 'wg0');
  assert.is(opt(mw, 'enabled'), '1');
  assert.equal(opt(mw, 'track_ip'), ['10.91.1.1', '1.1.1.1', '9.9.9.9']);
  assert.is(opt(mw, 'reliability'), '2');
  const rules = cfg.get('mwan3')!.filter((s) => s.type === 'rule');
  assert.equal(rules.map((x) => x.name), ['wpx_wg0', 'wpx_wg1', 'wp_all', 'default_rule_v4']);
  assert.equal(rules.slice(0, 2).map((x) => [opt(x, 'dest_ip'), opt(x, 'use_policy')]), [['172.30.1.2/32', 'default'], ['172.30.2.2/32', 'default']]);
  assert.is(opt(rules[2]!, 'use_policy'), 'wp_balanced');
  assert.equal(opt(get(cfg, 'mwan3', 'wp_balanced'), 'use_member'), ['wp_wg0_bal', 'wp_wg1_bal']);
  assert.equal(opt(get(cfg, 'mwan3', 'wp_failover'), 'use_member'), ['wp_wg0_fo', 'wp_wg1_fo']);
  assert.equal([opt(get(cfg, 'mwan3', 'wp_wg1_bal'), 'weight'), opt(get(cfg, 'mwan3', 'wp_wg1_fo'), 'metric')], ['2', '2']);
  assert.is(opt(get(cfg, 'wanpulse', 'globals'), 'enabled'), '1');
  assert.is(opt(get(cfg, 'wanpulse', 'globals'), 'backend'), 'mwan3');
  // mwan3's interface order (its marks) is unchanged for what was there
  assert.equal(cfg.get('mwan3')!.filter((s) => s.type === 'interface').map((s) => s.name), ['wan', 'wan6', 'wg0', 'wg1']);
});

test('failover mode: the all-IPv4 rule uses the failover policy, metrics follow the order', async () => {
  const r = router({ description: "config setup\n\toption mode 'failover'\n\toption lan '192.168.1.1/24'\nconfig uplink 'a'\n\toption endpoint '172.30.1.2'\nconfig uplink 'b'\n\toption endpoint '172.30.2.2'\n" });
  assert.is((await r.run(['--out', '/out'])).code, 0);
  const m = packagesFromBatch(r.fs.files.get('/out/main.uci')!);
  assert.is(opt(get(m, 'mwan3', 'wp_all'), 'use_policy'), 'wp_failover');
  assert.equal(['wp_a_fo', 'wp_b_fo'].map((n) => opt(get(m, 'mwan3', n), 'metric')), ['1', '2']);
});

test('uplink router: server side, zone, forwarding to wan, NAT, port opened from its lan', async () => {
  const r = router();
  assert.is((await r.run(['--out', '/out'])).code, 0);
  const u = packagesFromBatch(r.fs.files.get('/out/wg1.uci')!);
  const m = packagesFromBatch(r.fs.files.get('/out/main.uci')!);
  const wg1 = get(u, 'network', 'wg1');
  assert.equal([opt(wg1, 'proto'), opt(wg1, 'listen_port'), opt(wg1, 'addresses')], ['wireguard', '51820', ['10.91.2.1/24']]);
  const peer = get(u, 'network', 'wp_wg1_peer');
  assert.equal(opt(peer, 'allowed_ips'), ['10.91.2.2/32']);
  assert.is(opt(peer, 'public_key'), fakePub(String(opt(get(m, 'network', 'wg1'), 'private_key'))));
  assert.equal(opt(get(u, 'firewall', 'wp_tunnel'), 'network'), ['wg1']);
  const fwd = get(u, 'firewall', 'wp_tunnel_wan');
  assert.equal([opt(fwd, 'src'), opt(fwd, 'dest')], ['wptun', 'wan']);
  const nat = get(u, 'firewall', 'wp_tunnel_nat');
  assert.equal([opt(nat, 'src'), opt(nat, 'src_ip'), opt(nat, 'target')], ['wan', '10.91.2.0/24', 'MASQUERADE']);
  assert.equal([opt(get(u, 'firewall', 'wp_wg_in'), 'src'), opt(get(u, 'firewall', 'wp_wg_in'), 'dest_port')], ['lan', '51820']);
  assert.not.ok(u.has('mwan3'));
});

test('check-config accepts the main router after the batch (the project loader, no errors)', async () => {
  const r = router();
  assert.is((await r.run(['--out', '/out', '--apply'])).code, 0);
  const files: Record<string, string> = {};
  for (const p of PACKAGES) files[`/cfg/${p}`] = serialize(r.packages().get(p)!);
  const { config, problems } = await loadConfig({ fs: new MemoryFs(files) }, '/cfg', { hostname: 'main' });
  assert.equal(problems.filter((p) => p.severity === 'error'), []);
  assert.ok(config);
  const wg = config!.interfaces.filter((i) => i.name.startsWith('wg'));
  assert.equal(wg.map((i) => [i.name, i.device, i.trackIps.length]), [['wg0', 'wg0', 3], ['wg1', 'wg1', 3]]);
});

test.run();
