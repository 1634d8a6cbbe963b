// The secrets of an MQTT connection, read again on every connect attempt so a corrected
// password_file or CA file is picked up without a restart. The password file follows the same
// rule as in `check-config` (config/mqtt-values.ts).
import type { MqttConfig } from '../config/types.ts';
import { passwordFromFile } from '../config/mqtt-values.ts';
import type { FileSystem } from '../platform/ports.ts';
import type { Secrets } from './session-types.ts';

async function readFile(fs: FileSystem, option: string, path: string): Promise<string> {
  const text = await fs.readText(path).catch((e: unknown) => {
    throw new Error(`cannot read ${option} ${path}: ${(e as Error).message}`);
  });
  if (text === null) throw new Error(`${option} ${path} does not exist`);
  return text;
}

export async function loadSecrets(fs: FileSystem, cfg: MqttConfig): Promise<Secrets> {
  const secrets: Secrets = {};
  if (cfg.password !== undefined) secrets.password = cfg.password;
  if (cfg.passwordFile) secrets.password = passwordFromFile(await readFile(fs, 'password_file', cfg.passwordFile));
  if (cfg.tls && cfg.caFile) secrets.caPem = await readFile(fs, 'ca_file', cfg.caFile);
  return secrets;
}
