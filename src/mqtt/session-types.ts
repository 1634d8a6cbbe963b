// The contract of one MQTT session (session.ts): what the publisher passes in and gets back.
import type { Clock, Log, Net } from '../platform/ports.ts';

export interface WillMessage {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

export interface Secrets {
  password?: string;
  caPem?: string;
}

export interface SessionOptions {
  host: string;
  port: number;
  tls: boolean;
  tlsInsecure: boolean;
  clientId: string;
  username?: string;
  keepaliveS: number;
  will: WillMessage;
  /** read on every connect attempt, so a fixed password_file or CA file is picked up */
  loadSecrets: () => Promise<Secrets>;
  connectTimeoutMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** the backoff cap while the broker cannot be reached (backoff.ts) */
  backoffUnreachableMaxMs?: number;
  /** a connection that lasted this long resets the backoff */
  stableAfterMs?: number;
}

export interface SessionHandlers {
  /** CONNACK accepted; publish retained state and subscribe from here */
  onConnected(): void;
  onDisconnected(reason: string): void;
  onMessage(topic: string, payload: string, retained: boolean): void;
}

export interface PublishOptions {
  qos: 0 | 1;
  retain: boolean;
}

export interface MqttSession {
  start(): void;
  isConnected(): boolean;
  lastError(): string | null;
  /** false when not connected or the socket is congested: the caller keeps the value for later */
  publish(topic: string, payload: string, opts: PublishOptions): boolean;
  subscribe(topic: string, qos: 0 | 1): boolean;
  /** Publishes `last` (QoS 1, waits for its PUBACK), sends DISCONNECT and closes, within budgetMs. */
  stop(last?: WillMessage, budgetMs?: number): Promise<void>;
}

export interface SessionDeps {
  net: Net;
  clock: Clock;
  log: Log;
  random?: () => number;
}
