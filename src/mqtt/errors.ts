// What went wrong with an MQTT connection, in words, and of which kind. Every text names MQTT and
// the broker (host:port, never credentials). The kind is the text with what varies between
// attempts taken out (error codes vs. messages, numbers), so the log can say each kind of
// failure once instead of once per attempt. Errors look alike under Node and txiki.js (whose
// built-ins may throw with an empty message and only a `code` or `name`).
export interface Failure {
  /** stable across attempts of the same problem */
  kind: string;
  text: string;
  /** nothing listens at the address (or it cannot be reached): cheap to try again soon */
  unreachable?: boolean;
  /** the broker closed or reset an accepted connection (no error of ours, no timeout) */
  closedByBroker?: boolean;
}

const CONNACK_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version (the broker does not speak MQTT 3.1.1)',
  2: 'client identifier rejected (check client_id)',
  3: 'server unavailable',
  4: 'bad user name or password (check username/password)',
  5: 'not authorized (check username/password)',
};

const TLS_TRUST = /certificate|self[- ]signed|issuer|altname|CERT_|SSL|TLS|handshake/i;
/** TCP-level failures: no listener, no route, no answer, no such name (yet) */
const UNREACHABLE = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN', 'ETIMEDOUT',
  'EAI_AGAIN', 'EAI_NONAME', 'ENOTFOUND', 'EADDRNOTAVAIL']);
const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

interface ErrorLike { message?: string; code?: string; name?: string }

function codeOf(err: unknown): string | undefined {
  const c = (err as ErrorLike | undefined)?.code;
  return typeof c === 'string' && c !== '' ? c : undefined;
}

function isTimeout(err: unknown): boolean {
  const e = err as ErrorLike | undefined;
  return e?.name === 'AbortError' || e?.name === 'TimeoutError' || /timed out|timeout/i.test(e?.message ?? '');
}

export function describeError(err: unknown, tls: boolean): string {
  const e = err as ErrorLike | undefined;
  const code = codeOf(err);
  let text = (typeof e?.message === 'string' ? e.message : String(err)).trim();
  if (text === '') text = code ?? (e?.name && e.name !== 'Error' ? e.name : 'unknown error');
  else if (code && !text.includes(code)) text = `${code}: ${text}`;
  if (tls && TLS_TRUST.test(`${text} ${code ?? ''}`)) text += ' (TLS: check ca_file, or tls_insecure for testing)';
  return text;
}

/** What varies between attempts of one problem: numbers (ports, sizes, times). */
function normalise(text: string): string {
  return text.replace(/[0-9]+/g, '#').toLowerCase();
}

export function connackFailure(where: string, returnCode: number): Failure {
  const reason = CONNACK_REASONS[returnCode] ?? `return code ${returnCode}`;
  return { kind: `refused:${returnCode}`, text: `MQTT broker ${where} refused the connection: ${reason}` };
}

export function secretsFailure(where: string, err: unknown): Failure {
  const text = describeError(err, false);
  return { kind: `secrets:${normalise(text)}`, text: `MQTT ${where}: ${text}` };
}

export function connectFailure(where: string, err: unknown, tls: boolean): Failure {
  const code = codeOf(err);
  const timeout = !code && isTimeout(err);
  const detail = timeout && !/timed out/i.test(describeError(err, tls)) ? 'timed out' : describeError(err, tls);
  return {
    kind: `connect:${code ?? (timeout ? 'timeout' : normalise(detail))}`,
    text: `MQTT connect to ${where} failed: ${detail}`,
    unreachable: timeout || (code !== undefined && UNREACHABLE.has(code)),
  };
}

/** The connection ended: `err` is the socket's error, none for a clean close by the peer. */
export function endFailure(where: string, err: Error | undefined, tls: boolean, accepted: boolean): Failure {
  const code = codeOf(err);
  const closed = !err || (code !== undefined && CLOSED.has(code));
  const detail = err ? describeError(err, tls) : 'closed by the broker';
  if (!accepted) {
    return closed
      ? { kind: 'handshake:closed', text: `MQTT broker ${where} closed the connection before CONNACK (${detail})` }
      : { kind: `handshake:${code ?? normalise(detail)}`, text: `MQTT connection to ${where} failed before CONNACK: ${detail}` };
  }
  return { kind: closed ? 'lost:closed' : `lost:${code ?? normalise(detail)}`, text: `MQTT connection to ${where} lost: ${detail}`, closedByBroker: closed };
}

export function protocolFailure(where: string, accepted: boolean, what: string): Failure {
  return {
    kind: `${accepted ? 'lost' : 'handshake'}:${normalise(what)}`,
    text: accepted ? `MQTT connection to ${where} lost: ${what}` : `MQTT connection to ${where} failed before CONNACK: ${what}`,
  };
}

/** A text from the peer, safe for one log line: quoted, control characters escaped, shortened. */
export function shown(text: string, max = 80): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
