'use strict';
'require view';
'require form';
'require rpc';
'require uci';
'require ui';
'require wanpulse.checks as checks';
'require wanpulse.schema as schema';
'require wanpulse.common as common';

// Network → wanpulse: a form over /etc/config/wanpulse. Defaults, units and ranges come from
// the generated schema; every value is checked as `wanpulse check-config` checks it, and Save &
// Apply runs check-config itself on the staged config (rpcd `wanpulse check_config`) and
// applies only when it passes.

var callCheckConfig = rpc.declare({ object: 'wanpulse', method: 'check_config', params: [ 'sections' ], reject: true });

var HEALTH = [ 'interval_ms', 'timeout_ms', 'down', 'up', 'window', 'check_quality', 'failure_latency_ms',
	'recovery_latency_ms', 'failure_loss', 'recovery_loss', 'degraded_failover', 'flap_window_s', 'max_hold_s' ];

function unitText(unit) {
	return unit == 'rounds' ? _('rounds') : unit;
}

function defaultText(spec) {
	if (spec.type == 'bool')
		return spec.default == '1' ? _('on') : _('off');
	return spec.default === '' ? _('none') : spec.default + (spec.unit ? ' ' + unitText(spec.unit) : '');
}

function describe(spec, text, inherited) {
	var parts = [ text ];
	if (inherited != null)
		parts.push(_('Empty: the global value (%s).').format(inherited));
	else if (spec.type != 'list')
		parts.push(_('Default: %s.').format(defaultText(spec)));
	if (spec.type == 'int' || spec.type == 'table')
		parts.push(_('Range: %s to %s%s.').format(spec.min, spec.max, spec.unit ? ' ' + unitText(spec.unit) : '') + (spec.type == 'table' ? ' ' + _('Or "main".') : ''));
	return parts.join(' ');
}

/** The value in effect for option `name` of section `sid` (form value, global value, default). */
function effective(section, sid, type, name) {
	var v = section.formvalue(sid, name);
	if (v != null && v !== '')
		return v;
	if (type == 'interface') {
		var g = common.globalValue(uci, name);
		if (g != null && g !== '')
			return g;
	}
	return schema.globals[name] ? schema.globals[name].default : null;
}

/** Adds option `name` of section type `type` to `s` (in `tab` when given), shaped by the schema. */
function addOption(s, tab, type, name, title, text) {
	var spec = checks.spec(type, name);
	var inherited = null, inheritedValue = null;
	if (type == 'interface' && HEALTH.indexOf(name) >= 0) {
		var g = common.globalValue(uci, name);
		inheritedValue = (g != null && g !== '') ? g : schema.globals[name].default;
		inherited = (g != null && g !== '') ? g : defaultText(schema.globals[name]);
	}
	var cls = { bool: form.Flag, enum: form.ListValue, list: form.DynamicList }[spec.type] || form.Value;
	if (spec.type == 'bool' && inherited != null)
		cls = form.ListValue;
	var desc = describe(spec, text, inherited);
	var o = tab ? s.taboption(tab, cls, name, title, desc) : s.option(cls, name, title, desc);
	if (spec.type == 'bool' && inherited != null) {
		o.value('', _('global value'));
		o.value('1', _('on'));
		o.value('0', _('off'));
	}
	else if (spec.type == 'bool') {
		o.default = spec.default;
	}
	else if (spec.type == 'enum' && type == 'interface') {
		o.value('', _('as in mwan3'));
		spec.values.forEach(function(v) { o.value(v); });
	}
	else if (spec.type == 'enum') {
		// the empty choice keeps the option unset, so the daemon's default applies
		o.value('', _('%s (default)').format(spec.default));
		spec.values.forEach(function(v) { if (v != spec.default) o.value(v); });
	}
	else if (spec.type == 'list') {
		o.validate = function(sid, value) { return checks.address(name, value); };
	}
	else {
		o.placeholder = inheritedValue != null ? inheritedValue : spec.default;
		o.validate = function(sid, value) {
			var r = checks.value(type, name, value);
			if (r !== true || checks.pairOf(name) == null || value === '')
				return r;
			return checks.pairs(function(n) { return effective(s, sid, type, n); });
		};
	}
	if (name == 'password')
		o.password = true;
	return o;
}

function healthOptions(s, type, tabs) {
	var t = function(name) { return tabs ? tabs[name] : null; };
	addOption(s, t('interval_ms'), type, 'interval_ms', _('Probe interval'), _('Time between two probes of a target.'));
	addOption(s, t('timeout_ms'), type, 'timeout_ms', _('Probe timeout'), _('A later reply counts as lost. May exceed the interval.'));
	addOption(s, t('down'), type, 'down', _('Failed rounds to go offline'), _('Failed rounds in a row before an uplink is offline.'));
	addOption(s, t('up'), type, 'up', _('Good rounds to come back'), _('Good rounds in a row before it is online again (more while flaps are damped).'));
	addOption(s, t('window'), type, 'window', _('Window'), _('Rounds over which RTT, jitter and loss are computed.'));
	addOption(s, t('check_quality'), type, 'check_quality', _('Judge quality'), _('Mark an uplink degraded when its latency or loss passes the levels below.'));
	addOption(s, t('failure_latency_ms'), type, 'failure_latency_ms', _('Degraded above latency'), _('Mean RTT above this marks the uplink degraded.'));
	addOption(s, t('recovery_latency_ms'), type, 'recovery_latency_ms', _('Recovered below latency'), _('Mean RTT must fall to this to recover (not above the degraded level).'));
	addOption(s, t('failure_loss'), type, 'failure_loss', _('Degraded above loss'), _('Loss above this marks the uplink degraded.'));
	addOption(s, t('recovery_loss'), type, 'recovery_loss', _('Recovered below loss'), _('Loss must fall to this to recover (not above the degraded level).'));
	addOption(s, t('degraded_failover'), type, 'degraded_failover', _('Fail over when degraded'), _('Degraded uplinks leave the rotation like offline ones, while another one is healthy.'));
	addOption(s, t('flap_window_s'), type, 'flap_window_s', _('Flap window'), _('An outage this soon after a recovery counts as a flap; each flap doubles the good rounds needed.'));
	addOption(s, t('max_hold_s'), type, 'max_hold_s', _('Longest hold-down'), _('Upper bound of the damped wait before a flapping uplink may come back.'));
}

/** The interfaces offered for overrides: the ones mwan3 tracks (enabled, with a track_ip), or
 *  netifd's interfaces for backend route, plus those /etc/config/wanpulse already has. */
function candidates() {
	var names = [], note = {};
	var add = function(n, why) { if (names.indexOf(n) < 0) { names.push(n); note[n] = why; } };
	var backend = common.globalValue(uci, 'backend') || schema.globals.backend.default;
	if (backend == 'route') {
		(uci.sections('network', 'interface') || []).forEach(function(s) {
			if (s['.name'] != 'loopback' && s['.name'] != 'lan')
				add(s['.name'], _('netifd interface'));
		});
	}
	else {
		(uci.sections('mwan3', 'interface') || []).forEach(function(s) {
			var track = s.track_ip;
			if (s.enabled == '1' && track != null && (!Array.isArray(track) || track.length))
				add(s['.name'], _('tracked by mwan3'));
		});
	}
	uci.sections('wanpulse', 'interface').forEach(function(s) {
		add(s['.name'], backend == 'route' ? _('configured here') : _('configured here, but mwan3 does not track it: ignored'));
	});
	return names.map(function(n) { return { name: n, note: note[n] }; });
}

return view.extend({
	load: function() {
		return Promise.all([
			uci.load('wanpulse'),
			L.resolveDefault(uci.load('mwan3'), null),
			L.resolveDefault(uci.load('network'), null)
		]);
	},

	render: function() {
		var m = new form.Map('wanpulse', _('wanpulse: settings'),
			_('Sub-second uplink failover beside mwan3. Save & Apply first runs "wanpulse check-config" on the new settings and applies them only when it finds no error; the service then reloads.'));

		// the daemon accepts a named or an anonymous globals section: edit the one that is there
		var existing = uci.sections('wanpulse', 'globals');
		var s = m.section(form.NamedSection, existing.length ? existing[existing.length - 1]['.name'] : 'globals', 'globals', _('General'));
		s.addremove = !existing.length;
		s.tab('general', _('General'));
		s.tab('detection', _('Detection'));
		s.tab('quality', _('Quality'));
		s.tab('damping', _('Flap damping'));
		s.tab('flows', _('Flows'));
		s.tab('backend', _('Backend'));

		addOption(s, 'general', 'globals', 'enabled', _('Enabled'), _('Off: the daemon exits at once and changes nothing.'));
		addOption(s, 'general', 'globals', 'backend', _('Backend'), _('mwan3: make mwan3 switch at once. route: manage a multipath default route (plain Linux). none: observe and report only.'));
		addOption(s, 'general', 'globals', 'log_level', _('Log level'), _('What goes to the system log (logread -e wanpulse).'));
		var tabs = {};
		[ 'interval_ms', 'timeout_ms', 'down', 'up', 'window' ].forEach(function(n) { tabs[n] = 'detection'; });
		[ 'check_quality', 'failure_latency_ms', 'recovery_latency_ms', 'failure_loss', 'recovery_loss', 'degraded_failover' ].forEach(function(n) { tabs[n] = 'quality'; });
		[ 'flap_window_s', 'max_hold_s' ].forEach(function(n) { tabs[n] = 'damping'; });
		healthOptions(s, 'globals', tabs);
		addOption(s, 'detection', 'globals', 'unknown_handback_s', _('Hand back a broken prober after'), _('An uplink whose fping stays broken this long is handed back to mwan3\'s tracker.'));
		addOption(s, 'detection', 'globals', 'mwan3_wrap', _('Mark probes like mwan3track'), _('auto: mark 0x3f00 with fping -k (5.2 or later) or mwan3\'s wrapper library. on: require it. off: never.'));
		addOption(s, 'detection', 'globals', 'fping', _('fping binary'), _('Absolute path of fping.'));
		addOption(s, 'flows', 'globals', 'drain', _('Drain flows of a dead uplink'), _('Delete its conntrack entries and sticky-set members so only its flows move.'));
		addOption(s, 'flows', 'globals', 'drain_on_recovery', _('Drain on recovery'), _('On recovery also drain the other uplinks, pulling flows back to a preferred one.'));
		addOption(s, 'backend', 'globals', 'route_table', _('Route table'), _('Backend route: table of the managed default route.'));
		addOption(s, 'backend', 'globals', 'route_metric', _('Route metric'), _('Backend route: metric of that route.'));
		addOption(s, 'backend', 'globals', 'route_resilient', _('Resilient nexthop group'), _('Backend route: keep running connections on their uplink when another one recovers (Linux 5.13 or later).'));
		addOption(s, 'backend', 'globals', 'route_idle_timer_s', _('Idle time before a bucket moves'), _('Backend route: a bucket idle this long may move to a recovered uplink.'));

		var q = m.section(form.NamedSection, 'mqtt', 'mqtt', _('MQTT and Home Assistant'));
		q.addremove = true;
		q.tab('broker', _('Broker'));
		q.tab('auth', _('Login'));
		q.tab('ha', _('Topics'));
		addOption(q, 'broker', 'mqtt', 'enabled', _('Publish over MQTT'), _('States, figures and events, with Home Assistant discovery.'));
		addOption(q, 'broker', 'mqtt', 'host', _('Broker host'), _('Host name or address of the broker.'));
		addOption(q, 'broker', 'mqtt', 'port', _('Broker port'), _('8883 when TLS is on and no port is set.'));
		addOption(q, 'broker', 'mqtt', 'tls', _('TLS'), _('Connect with MQTT over TLS (mqtts).'));
		addOption(q, 'broker', 'mqtt', 'ca_file', _('CA file'), _('Certificate authorities to trust; empty: the system\'s.'));
		addOption(q, 'broker', 'mqtt', 'tls_insecure', _('Skip certificate check'), _('For testing only.'));
		addOption(q, 'auth', 'mqtt', 'username', _('Username'), _('Empty: connect without a login.'));
		addOption(q, 'auth', 'mqtt', 'password', _('Password'), _('Never logged.'));
		addOption(q, 'auth', 'mqtt', 'password_file', _('Password file'), _('Read the password from this file instead (wins over the password; read on every connect).'));
		addOption(q, 'ha', 'mqtt', 'client_id', _('Client id'), _('Empty: wanpulse-<hostname>.'));
		addOption(q, 'ha', 'mqtt', 'base_topic', _('Base topic'), _('Empty: wanpulse/<hostname>.'));
		addOption(q, 'ha', 'mqtt', 'discovery', _('Home Assistant discovery'), _('Announce sensors to Home Assistant.'));
		addOption(q, 'ha', 'mqtt', 'discovery_prefix', _('Discovery prefix'), _('Home Assistant\'s discovery topic prefix.'));
		addOption(q, 'ha', 'mqtt', 'publish_interval_s', _('Re-publish every'), _('Periodic re-publish of the figures for graphs; 0: on change only.'));
		addOption(q, 'ha', 'mqtt', 'keepalive_s', _('Keepalive'), _('MQTT keepalive interval.'));

		var list = candidates(), probingTabs = {};
		HEALTH.forEach(function(n) { probingTabs[n] = 'probing'; });
		if (!list.length) {
			var none = s.taboption('general', form.DummyValue, '_no_uplinks', _('Per-uplink overrides'));
			none.cfgvalue = function() { return _('mwan3 tracks no interface yet (an enabled mwan3 interface with a track_ip): there is nothing to override.'); };
		}
		list.forEach(function(c) {
			var u = m.section(form.NamedSection, c.name, 'interface', _('Uplink %s').format(c.name),
				_('%s. Overrides for this uplink; empty fields take the global value or mwan3\'s.').format(c.note));
			u.addremove = true;
			u.tab('uplink', _('Uplink'));
			u.tab('probing', _('Probing and judging'));
			u.tab('route', _('Backend route'));
			addOption(u, 'uplink', 'interface', 'enabled', _('Tracked by wanpulse'), _('Off: leave this interface to mwan3 alone.'));
			addOption(u, 'uplink', 'interface', 'device', _('Device'), _('Device the probes are bound to; empty: from netifd.'));
			addOption(u, 'uplink', 'interface', 'family', _('Address family'), _('Empty: mwan3\'s.'));
			addOption(u, 'uplink', 'interface', 'track_ip', _('Probe targets'), _('Addresses, not names. Empty: mwan3\'s track_ip list (required for backend route).'));
			addOption(u, 'uplink', 'interface', 'reliability', _('Targets that must answer'), _('Empty: mwan3\'s reliability, else 1.'));
			healthOptions(u, 'interface', probingTabs);
			addOption(u, 'route', 'interface', 'gateway', _('Gateway'), _('Backend route: next hop; empty: a device route.'));
			addOption(u, 'route', 'interface', 'weight', _('Weight'), _('Backend route: multipath weight.'));
			addOption(u, 'route', 'interface', 'metric', _('Metric'), _('Backend route: tier, lower is preferred.'));
		});
		return m.render();
	},

	/** Save stages the changes; check-config must pass on them before they are applied. */
	handleSaveApply: function(ev, mode) {
		return this.handleSave(ev).then(function() {
			return callCheckConfig(uci.sections('wanpulse')).then(function(res) {
				var lines = String((res && res.output) || '').split(/\n/).filter(function(l) { return l !== ''; });
				if (!res || !res.ok) {
					ui.addNotification(_('Not applied: wanpulse check-config refuses these settings'), E('div', { 'class': 'wanpulse-refused' }, [
						E('p', {}, [ _('The changes are saved but not applied. Correct them, or revert them with "Unsaved Changes".') ]),
						E('pre', {}, [ lines.join('\n') ])
					]), 'danger');
					return;
				}
				var warnings = lines.filter(function(l) { return /: warning: /.test(l); });
				if (warnings.length)
					ui.addNotification(_('wanpulse check-config warnings'), E('pre', { 'class': 'wanpulse-warnings' }, [ warnings.join('\n') ]), 'warning');
				return ui.changes.apply(mode == '0');
			}, function(err) {
				ui.addNotification(_('Not applied: the settings could not be checked'), E('p', {}, [ String((err && err.message) || err) ]), 'danger');
			});
		});
	}
});
