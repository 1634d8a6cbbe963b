// The luci-app-wanpulse .ipk without the OpenWrt SDK: what luci.mk would install from
// openwrt-feed/luci-app-wanpulse (htdocs/ under /www, root/ under /, the Makefile's LUCI_*
// fields as control fields), with maintainer scripts that make LuCI and rpcd see the new pages
// and ACL. The generated schema and the .pot are regenerated first, so they cannot be stale.
// The German catalogue becomes the separate luci-i18n-wanpulse-de package only in an SDK build
// (po2lmo); this package ships the English source strings.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { potPath, renderPot } from './luci-i18n.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

const makeVar = (text, name) => new RegExp(`^\\s*${name}\\s*:?=\\s*(.*)$`, 'm').exec(text)?.[1].trim() ?? null;

const POSTINST = `#!/bin/sh
# LuCI caches its menu index and modules, rpcd its ACLs: drop and reload them so the new pages
# and permissions are there at once.
if [ -z "\${IPKG_INSTROOT}" ]; then
	rm -f /tmp/luci-indexcache /tmp/luci-indexcache.*
	rm -rf /tmp/luci-modulecache/
	[ -x /etc/init.d/rpcd ] && /etc/init.d/rpcd reload
fi
exit 0
`;
const POSTRM = POSTINST.replace('so the new pages\n# and permissions are there at once', 'so the removed\n# pages and permissions are gone at once');

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  }).sort();
}

/** Regenerates schema.js (from src/config/defaults.ts) and the .pot (from the views). */
function regenerate(fail) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'build/luci-schema.mjs')], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) fail(`generating the LuCI schema failed: ${r.stderr}`);
  const pot = renderPot();
  if (!existsSync(potPath) || readFileSync(potPath, 'utf8') !== pot) { writeFileSync(potPath + '.tmp', pot); renameSync(potPath + '.tmp', potPath); }
}

export function luciPackage(dir, fail, { generate = dir === join(root, 'openwrt-feed/luci-app-wanpulse') } = {}) {
  const makefile = join(dir, 'Makefile');
  if (!existsSync(makefile)) fail(`${makefile} not found`);
  if (generate) regenerate(fail);
  const text = readFileSync(makefile, 'utf8');
  if (!/^include \$\(TOPDIR\)\/feeds\/luci\/luci\.mk$/m.test(text)) fail(`${makefile} does not include luci.mk`);
  const pkg = {
    name: makeVar(text, 'PKG_NAME'),
    version: makeVar(text, 'PKG_VERSION'),
    release: makeVar(text, 'PKG_RELEASE'),
    license: makeVar(text, 'PKG_LICENSE'),
    section: 'luci',
    arch: makeVar(text, 'LUCI_PKGARCH') ?? 'all',
    depends: (makeVar(text, 'LUCI_DEPENDS') ?? '').split(/\s+/).filter(Boolean).map((d) => d.replace(/^\+/, '')),
    description: [makeVar(text, 'LUCI_TITLE'), makeVar(text, 'LUCI_DESCRIPTION')].filter(Boolean),
    source: makeVar(text, 'PKG_NAME'),
    conffiles: [],
    scripts: { postinst: POSTINST, postrm: POSTRM },
  };
  for (const [k, v] of Object.entries(pkg)) if (v === null) fail(`${makefile}: ${k} is not set`);
  const files = [];
  for (const [from, to] of [['htdocs', 'www'], ['root', '']]) {
    const base = join(dir, from);
    if (!existsSync(base)) continue;
    for (const p of walk(base)) {
      const rel = p.slice(base.length + 1);
      const mode = from === 'root' && (statSync(p).mode & 0o111) ? 0o755 : 0o644;
      files.push({ name: `./${to ? `${to}/` : ''}${rel}`, mode, data: readFileSync(p) });
    }
  }
  return { pkg, files };
}
