// Error texts of an MQTT session: CONNACK refusals in words, and socket/TLS errors described
// the same way under Node and txiki.js.
const CONNACK_REASONS: Record<number, string> = {
  1: 'unacceptable protocol version (the broker does not speak MQTT 3.1.1)',
  2: 'client identifier rejected (check client_id)',
  3: 'server unavailable',
  4: 'bad user name or password (check username/password)',
  5: 'not authorized (check username/password)',
};

export function connackMessage(returnCode: number): string {
  return `MQTT broker refused: ${CONNACK_REASONS[returnCode] ?? `return code ${returnCode}`}`;
}

const TLS_TRUST = /certificate|self[- ]signed|issuer|altname|CERT_|SSL|TLS|handshake/i;

export function describeError(err: unknown, tls: boolean): string {
  const e = err as { message?: string; code?: string } | undefined;
  let text = e?.message ?? String(err);
  if (e?.code && !text.includes(e.code)) text = `${e.code}: ${text}`;
  if (tls && TLS_TRUST.test(`${text} ${e?.code ?? ''}`)) text += ' (TLS: check ca_file, or tls_insecure for testing)';
  return text;
}

/** A text from the peer, safe for one log line: quoted, control characters escaped, shortened. */
export function shown(text: string, max = 80): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
