import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { routerDiscovery, uplinkDiscovery, uplinkDiscoveryTopics } from '../../src/mqtt/discovery.ts';
import type { DiscoveryContext, DiscoveryMessage } from '../../src/mqtt/discovery.ts';
import { topicNames } from '../../src/mqtt/topics.ts';

// Keys Home Assistant's MQTT discovery accepts for these two platforms (its binary_sensor.mqtt and
// sensor.mqtt documentation; the shared entity options, availability, device and origin blocks).
// `object_id` is deliberately absent: deprecated in 2025.10, dropped in 2026.4.
const COMMON = [
  'availability', 'availability_mode', 'availability_template', 'availability_topic', 'payload_available',
  'payload_not_available', 'device', 'origin', 'enabled_by_default', 'entity_category', 'entity_picture', 'icon',
  'json_attributes_topic', 'json_attributes_template', 'default_entity_id', 'unique_id', 'qos', 'encoding',
  'state_topic', 'value_template', 'name',
];
const ALLOWED: Record<string, Set<string>> = {
  binary_sensor: new Set([...COMMON, 'device_class', 'expire_after', 'force_update', 'off_delay', 'payload_off', 'payload_on']),
  sensor: new Set([...COMMON, 'device_class', 'expire_after', 'force_update', 'last_reset_value_template', 'options',
    'suggested_display_precision', 'state_class', 'unit_of_measurement']),
};
const DEVICE_KEYS = new Set(['identifiers', 'connections', 'manufacturer', 'model', 'model_id', 'name', 'hw_version',
  'serial_number', 'sw_version', 'via_device', 'suggested_area', 'configuration_url']);
const ORIGIN_KEYS = new Set(['name', 'sw_version', 'support_url']);
const AVAILABILITY_ITEM_KEYS = new Set(['topic', 'payload_available', 'payload_not_available', 'value_template']);
const ENTITY_CATEGORIES = new Set(['config', 'diagnostic']);
const BINARY_SENSOR_CLASSES = new Set(['connectivity', 'problem', 'running']);
const SENSOR_STATE_CLASSES = new Set(['measurement', 'measurement_angle', 'total', 'total_increasing']);
// units Home Assistant accepts for device_class duration
const DURATION_UNITS = new Set(['d', 'h', 'min', 's', 'ms', 'µs']);

const names = topicNames('wanpulse/router1', 'homeassistant', 'router1');
const ctx: DiscoveryContext = { routerId: 'router1', version: '0.1.0', prefix: 'homeassistant', names, supportUrl: 'https://example.org/wanpulse' };

function checkSchema(m: DiscoveryMessage): void {
  const allowed = ALLOWED[m.component]!;
  for (const key of Object.keys(m.config)) assert.ok(allowed.has(key), `${m.uniqueId}: ${key} is not a ${m.component} discovery key`);
  const c = m.config as Record<string, any>;
  assert.type(c.state_topic, 'string');
  assert.type(c.name, 'string');
  for (const key of Object.keys(c.device)) assert.ok(DEVICE_KEYS.has(key), `device.${key}`);
  assert.ok(Array.isArray(c.device.identifiers) && c.device.identifiers.length > 0, 'device needs identifiers');
  for (const key of Object.keys(c.origin)) assert.ok(ORIGIN_KEYS.has(key), `origin.${key}`);
  assert.type(c.origin.name, 'string');
  assert.ok(Array.isArray(c.availability));
  for (const a of c.availability) for (const key of Object.keys(a)) assert.ok(AVAILABILITY_ITEM_KEYS.has(key), `availability.${key}`);
  if ('entity_category' in c) assert.ok(ENTITY_CATEGORIES.has(c.entity_category));
  if (m.component === 'binary_sensor' && 'device_class' in c) assert.ok(BINARY_SENSOR_CLASSES.has(c.device_class));
  if ('state_class' in c) assert.ok(SENSOR_STATE_CLASSES.has(c.state_class));
  if (c.device_class === 'duration') assert.ok(DURATION_UNITS.has(c.unit_of_measurement), 'duration unit');
  // topic levels and ids: [a-zA-Z0-9_-]; entity id `<domain>.<lower-case slug>`
  assert.match(m.uniqueId, /^[A-Za-z0-9_-]+$/);
  assert.is(m.topic, `homeassistant/${m.component}/${m.uniqueId}/config`);
  assert.is(c.unique_id, m.uniqueId);
  assert.match(c.default_entity_id, new RegExp(`^${m.component}\\.[a-z0-9_]+$`));
}

test('every uplink and router config uses only keys Home Assistant accepts', () => {
  for (const m of [...uplinkDiscovery(ctx, 'wg0'), ...routerDiscovery(ctx)]) checkSchema(m);
});

test('the uplink connectivity entity matches the design example', () => {
  const [online] = uplinkDiscovery(ctx, 'wg0');
  assert.is(online!.topic, 'homeassistant/binary_sensor/wanpulse_router1_wg0_online/config');
  assert.equal(online!.config, {
    name: 'wg0 online',
    device_class: 'connectivity',
    state_topic: 'wanpulse/router1/uplink/wg0',
    value_template: "{{ 'ON' if value_json.state == 'online' else 'OFF' }}",
    json_attributes_topic: 'wanpulse/router1/uplink/wg0',
    unique_id: 'wanpulse_router1_wg0_online',
    default_entity_id: 'binary_sensor.wanpulse_router1_wg0_online',
    availability: [{ topic: 'wanpulse/router1/status' }],
    device: { identifiers: ['wanpulse_router1'], name: 'router1 uplinks', manufacturer: 'OpenWrt', model: 'mwan3 + wanpulse', sw_version: '0.1.0' },
    origin: { name: 'wanpulse', sw_version: '0.1.0', support_url: 'https://example.org/wanpulse' },
  });
});

test('latency, jitter (ms, duration) and loss (%) are diagnostic measurements of the uplink JSON', () => {
  const [, latency, jitter, loss] = uplinkDiscovery(ctx, 'wg0').map((m) => m.config as Record<string, unknown>);
  assert.equal(
    [latency!.value_template, latency!.device_class, latency!.unit_of_measurement, latency!.state_class, latency!.entity_category],
    ['{{ value_json.rtt_ms }}', 'duration', 'ms', 'measurement', 'diagnostic'],
  );
  assert.equal(
    [jitter!.value_template, jitter!.device_class, jitter!.unit_of_measurement, jitter!.state_class, jitter!.entity_category],
    ['{{ value_json.jitter_ms }}', 'duration', 'ms', 'measurement', 'diagnostic'],
  );
  assert.equal(
    [loss!.value_template, 'device_class' in loss!, loss!.unit_of_measurement, loss!.state_class, loss!.entity_category],
    ['{{ value_json.loss_pct }}', false, '%', 'measurement', 'diagnostic'],
  );
});

test('router entities read the summary and the event topic', () => {
  const [online, last] = routerDiscovery(ctx);
  assert.is(online!.config.state_topic, 'wanpulse/router1/summary');
  assert.is(online!.config.value_template, '{{ value_json.online }}');
  assert.is(last!.config.state_topic, 'wanpulse/router1/event');
  assert.is(last!.uniqueId, 'wanpulse_router1_last_event');
});

test('ids stay valid for odd router and interface names; unknown URLs are left out', () => {
  const odd: DiscoveryContext = { routerId: 'Main.Router', version: '1', prefix: 'ha', names: topicNames('x', 'ha', 'Main.Router') };
  for (const m of [...uplinkDiscovery(odd, 'wan.6'), ...routerDiscovery(odd)]) {
    assert.match(m.uniqueId, /^[A-Za-z0-9_-]+$/);
    assert.match(String(m.config.default_entity_id), /^(sensor|binary_sensor)\.[a-z0-9_]+$/);
    assert.not.ok('support_url' in (m.config.origin as object));
    assert.not.ok('configuration_url' in (m.config.device as object));
  }
});

test('removal topics are exactly the uplink config topics', () => {
  assert.equal(uplinkDiscoveryTopics(ctx, 'wg1'), [
    'homeassistant/binary_sensor/wanpulse_router1_wg1_online/config',
    'homeassistant/sensor/wanpulse_router1_wg1_latency/config',
    'homeassistant/sensor/wanpulse_router1_wg1_jitter/config',
    'homeassistant/sensor/wanpulse_router1_wg1_loss/config',
  ]);
});

test.run();
