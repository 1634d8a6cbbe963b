// MQTT option values: the limits MQTT 3.1.1 puts on strings and topic names, and the one rule for
// the text of a password_file (used by the loader and again on every connect). Messages show a
// value only when it is short and printable, and never a password.
import type { OptionReader } from './values.ts';

/** MQTT strings carry a 16-bit length */
export const MQTT_STRING_MAX_BYTES = 65_535;
/** bytes kept free behind base_topic and discovery_prefix for the topics wanpulse adds under them */
export const TOPIC_ROOM_BYTES = 1_024;

/** A password file holds the password and, as editors and `echo` leave it, one line end: exactly
 *  one trailing "\n" or "\r\n" is not part of it. Everything else is, blanks included. */
export function passwordFromFile(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/** What is wrong with a value MQTT sends as a UTF-8 string, or null. */
export function mqttStringProblem(value: string, maxBytes = MQTT_STRING_MAX_BYTES): string | null {
  if (value.includes('\u0000')) return 'contains a NUL character, which MQTT does not allow';
  const n = byteLength(value);
  if (n > maxBytes) return `is ${n} bytes long; at most ${maxBytes} fit${maxBytes < MQTT_STRING_MAX_BYTES ? ' (MQTT allows 65535, less the topics wanpulse adds under it)' : ' in MQTT'}`;
  return null;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function clientIdProblem(value: string): string | null {
  const p = mqttStringProblem(value);
  if (p) return p;
  if (/\s/.test(value)) return 'must not contain spaces';
  if (CONTROL.test(value)) return 'must not contain control characters';
  return null;
}

/** A topic prefix wanpulse publishes under (base_topic) or subscribes below (discovery_prefix). */
export function topicPrefixProblem(value: string): string | null {
  const p = mqttStringProblem(value, MQTT_STRING_MAX_BYTES - TOPIC_ROOM_BYTES);
  if (p) return p;
  if (/[+#]/.test(value)) return 'must not contain the wildcards + or #';
  if (value.startsWith('/') || value.endsWith('/') || value.includes('//')) return 'must not have empty levels (a leading, trailing or double /)';
  if (value.startsWith('$')) return 'must not start with $ (brokers reserve those topics, e.g. $SYS)';
  if (CONTROL.test(value)) return 'must not contain control characters';
  return null;
}

const CHECKS = {
  client_id: clientIdProblem,
  username: (v: string) => mqttStringProblem(v),
  // binary data in MQTT: any bytes, only the length is limited
  password: (v: string) => (byteLength(v) > MQTT_STRING_MAX_BYTES ? `is ${byteLength(v)} bytes long; at most 65535 fit in MQTT` : null),
  base_topic: topicPrefixProblem,
  discovery_prefix: topicPrefixProblem,
} as const;

export type MqttTextOption = keyof typeof CHECKS;

function quoted(value: string): string {
  return value.length <= 64 && !CONTROL.test(value) ? ` '${value}'` : '';
}

/** Reports an error at the option's line; true when the value is usable. */
export function checkMqttText(r: OptionReader, name: MqttTextOption, value: string, line = r.lineOf(name)): boolean {
  const problem = CHECKS[name](value);
  if (problem) r.error(line, `${name}${name === 'password' ? '' : quoted(value)} ${problem}`);
  return problem === null;
}
