// Home Assistant MQTT discovery configs (docs/mqtt.md). Pure: builds topic +
// JSON pairs; the publisher sends them retained with QoS 1.
//
// Keys follow Home Assistant's MQTT sensor / binary_sensor discovery schema. `object_id` is not
// used: Home Assistant 2025.10 deprecated it in favour of `default_entity_id` (the full entity id,
// `<domain>.<slug>`) and 2026.4 drops it; older releases ignore the unknown key.
import type { TopicNames } from './topics.ts';

export interface DiscoveryContext {
  /** unique per router: device identifiers and unique ids are made from it */
  routerId: string;
  /** the device's name in Home Assistant (`<name> uplinks`); routerId when not given */
  deviceName?: string;
  version: string;
  prefix: string;
  names: TopicNames;
  /** origin.support_url; left out when unknown (Home Assistant rejects a non-URL) */
  supportUrl?: string;
  /** device.configuration_url (e.g. the router's LuCI page); left out when unknown */
  configurationUrl?: string;
}

export type Component = 'binary_sensor' | 'sensor';

export interface DiscoveryMessage {
  component: Component;
  uniqueId: string;
  topic: string;
  config: Record<string, unknown>;
}

/** Discovery topic levels and entity ids allow only [a-zA-Z0-9_-]; entity ids want lower case. */
export function idPart(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

function entitySlug(uniqueId: string): string {
  return uniqueId.toLowerCase().replace(/[^a-z0-9_]/g, '_');
}

function configTopic(ctx: DiscoveryContext, component: Component, uniqueId: string): string {
  return `${ctx.prefix}/${component}/${uniqueId}/config`;
}

function device(ctx: DiscoveryContext): Record<string, unknown> {
  const d: Record<string, unknown> = {
    identifiers: [`wanpulse_${idPart(ctx.routerId)}`],
    name: `${ctx.deviceName ?? ctx.routerId} uplinks`,
    manufacturer: 'OpenWrt',
    model: 'mwan3 + wanpulse',
    sw_version: ctx.version,
  };
  if (ctx.configurationUrl) d.configuration_url = ctx.configurationUrl;
  return d;
}

function origin(ctx: DiscoveryContext): Record<string, unknown> {
  const o: Record<string, unknown> = { name: 'wanpulse', sw_version: ctx.version };
  if (ctx.supportUrl) o.support_url = ctx.supportUrl;
  return o;
}

function message(ctx: DiscoveryContext, component: Component, suffix: string, specific: Record<string, unknown>): DiscoveryMessage {
  const uniqueId = `wanpulse_${idPart(ctx.routerId)}_${suffix}`;
  return {
    component,
    uniqueId,
    topic: configTopic(ctx, component, uniqueId),
    config: {
      ...specific,
      unique_id: uniqueId,
      default_entity_id: `${component}.${entitySlug(uniqueId)}`,
      availability: [{ topic: ctx.names.status }],
      device: device(ctx),
      origin: origin(ctx),
    },
  };
}

/** The four entities of one uplink: connectivity, latency, jitter, loss. */
export function uplinkDiscovery(ctx: DiscoveryContext, iface: string): DiscoveryMessage[] {
  const topic = ctx.names.uplink(iface);
  const id = idPart(iface);
  const metric = (name: string, field: string, extra: Record<string, unknown>) => ({
    name: `${iface} ${name}`,
    state_topic: topic,
    value_template: `{{ value_json.${field} }}`,
    state_class: 'measurement',
    entity_category: 'diagnostic',
    ...extra,
  });
  return [
    message(ctx, 'binary_sensor', `${id}_online`, {
      name: `${iface} online`,
      device_class: 'connectivity',
      state_topic: topic,
      value_template: "{{ 'ON' if value_json.state == 'online' else 'OFF' }}",
      json_attributes_topic: topic,
    }),
    message(ctx, 'sensor', `${id}_latency`, metric('latency', 'rtt_ms', { device_class: 'duration', unit_of_measurement: 'ms' })),
    message(ctx, 'sensor', `${id}_jitter`, metric('jitter', 'jitter_ms', { device_class: 'duration', unit_of_measurement: 'ms' })),
    message(ctx, 'sensor', `${id}_loss`, metric('loss', 'loss_pct', { unit_of_measurement: '%' })),
  ];
}

/** Router-wide entities: how many uplinks are online, and the last transition. */
export function routerDiscovery(ctx: DiscoveryContext): DiscoveryMessage[] {
  return [
    message(ctx, 'sensor', 'uplinks_online', {
      name: 'Uplinks online',
      state_topic: ctx.names.summary,
      value_template: '{{ value_json.online }}',
      state_class: 'measurement',
      json_attributes_topic: ctx.names.summary,
    }),
    message(ctx, 'sensor', 'last_event', {
      name: 'Last event',
      state_topic: ctx.names.event,
      value_template: "{{ value_json.iface ~ ' ' ~ value_json.from ~ ' -> ' ~ value_json.to }}",
      json_attributes_topic: ctx.names.event,
    }),
  ];
}

/** Config topics of one uplink, for removing its entities (empty retained payload). */
export function uplinkDiscoveryTopics(ctx: DiscoveryContext, iface: string): string[] {
  return uplinkDiscovery(ctx, iface).map((m) => m.topic);
}
