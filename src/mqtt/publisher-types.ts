// The contract of the MQTT publisher (publisher.ts): what the daemon passes in and calls, and the
// publisher that stands in when MQTT is off.
import type { PolicyConfig } from '../config/types.ts';
import type { Clock, FileSystem, Log, Net } from '../platform/ports.ts';
import type { StatusSnapshot, TransitionEvent } from '../status/model.ts';

export interface MqttPublisher {
  /** connects in the background; never throws */
  start(): void;
  publishStatus(snapshot: StatusSnapshot): void;
  publishEvent(e: TransitionEvent): void;
  /** retained `offline`, DISCONNECT, close; resolves within about a second */
  stop(): Promise<void>;
  state(): { enabled: boolean; connected: boolean; lastError: string | null };
}

export interface PublisherDeps {
  net: Net;
  clock: Clock;
  log: Log;
  fs: FileSystem;
  random?: () => number;
}

export interface PublisherInfo {
  version: string;
  routerId: string;
  policies: PolicyConfig[];
  /** origin.support_url in discovery (left out when not given) */
  supportUrl?: string;
  /** device.configuration_url in discovery (left out when not given) */
  configurationUrl?: string;
}

export function disabledPublisher(): MqttPublisher {
  return {
    start() {},
    publishStatus() {},
    publishEvent() {},
    stop: async () => {},
    state: () => ({ enabled: false, connected: false, lastError: null }),
  };
}
