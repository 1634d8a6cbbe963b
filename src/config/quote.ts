// How every message shows a value that came from outside (a config file, a status file, netifd):
// quoted, with control and invisible characters escaped so a value cannot forge a second
// `file:line: error:` line or send escape sequences to a terminal, and shortened so a 1 MB value
// is not printed whole.

const MAX_SHOWN = 64;

// C0 and C1 controls, DEL, line/paragraph separators, bidi controls, BOM, zero-width characters
// eslint-disable-next-line no-control-regex
const SPECIAL = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\\']/g;

function escapeChar(c: string): string {
  switch (c) {
    case '\n': return '\\n';
    case '\r': return '\\r';
    case '\t': return '\\t';
    case '\\': return '\\\\';
    case "'": return "\\'";
  }
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `'value'`, escaped; longer than `max` characters: the start, then how much was left out. */
export function quote(value: string, max = MAX_SHOWN): string {
  const cut = value.length > max;
  // never cut a surrogate pair in half
  let shown = cut ? value.slice(0, max) : value;
  if (cut && /[\ud800-\udbff]$/.test(shown)) shown = shown.slice(0, -1);
  const body = shown.replace(SPECIAL, escapeChar);
  return cut ? `'${body}…' (${value.length - shown.length} more characters)` : `'${body}'`;
}
