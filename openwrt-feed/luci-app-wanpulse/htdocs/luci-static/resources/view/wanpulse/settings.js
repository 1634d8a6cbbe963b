'use strict';
'require view';
'require form';
'require rpc';
'require uci';
'require ui';
'require wanpulse.schema as schema';
'require wanpulse.common as common';
'require wanpulse.fields as fields';

// Network → wanpulse: a form over /etc/config/wanpulse. Defaults, units and ranges come from
// the generated schema; every value is checked as `wanpulse check-config` checks it, and Save &
// Apply runs check-config itself on the staged config (rpcd `wanpulse check_config`) and
// applies only when it passes.

var callCheckConfig = rpc.declare({ object: 'wanpulse', method: 'check_config', params: [ 'sections' ], reject: true });

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

		fields.addOptions(s, 'globals', [
			[ 'general', 'enabled', _('Enabled'), _('Off: the daemon exits at once and changes nothing.') ],
			[ 'general', 'backend', _('Backend'), _('mwan3: make mwan3 switch at once. route: manage a multipath default route (plain Linux). none: observe and report only.') ],
			[ 'general', 'log_level', _('Log level'), _('What goes to the system log (logread -e wanpulse).') ]
		]);
		var tabs = {};
		[ 'interval_ms', 'timeout_ms', 'down', 'up', 'window', 'traffic_evidence' ].forEach(function(n) { tabs[n] = 'detection'; });
		[ 'check_quality', 'failure_latency_ms', 'recovery_latency_ms', 'failure_loss', 'recovery_loss', 'degraded_failover' ].forEach(function(n) { tabs[n] = 'quality'; });
		[ 'flap_window_s', 'max_hold_s' ].forEach(function(n) { tabs[n] = 'damping'; });
		fields.healthOptions(s, 'globals', tabs);
		fields.addOptions(s, 'globals', [
			[ 'detection', 'unknown_handback_s', _('Hand back a broken prober after'), _('An uplink whose fping stays broken this long is handed back to mwan3\'s tracker.') ],
			[ 'detection', 'mwan3_wrap', _('Mark probes like mwan3track'), _('auto: mark 0x3f00 with fping -k (5.2 or later) or mwan3\'s wrapper library. on: require it. off: never.') ],
			[ 'detection', 'fping', _('fping binary'), _('Absolute path of fping.') ],
			[ 'flows', 'drain', _('Drain flows of a dead uplink'), _('Delete its conntrack entries and sticky-set members so only its flows move.') ],
			[ 'flows', 'drain_on_recovery', _('Drain on recovery'), _('On recovery also drain the other uplinks, pulling flows back to a preferred one.') ],
			[ 'backend', 'route_table', _('Route table'), _('Backend route: table of the managed default route.') ],
			[ 'backend', 'route_metric', _('Route metric'), _('Backend route: metric of that route.') ],
			[ 'backend', 'route_resilient', _('Resilient nexthop group'), _('Backend route: keep running connections on their uplink when another one recovers (Linux 5.13 or later).') ],
			[ 'backend', 'route_idle_timer_s', _('Idle time before a bucket moves'), _('Backend route: a bucket idle this long may move to a recovered uplink.') ]
		]);

		var q = m.section(form.NamedSection, 'mqtt', 'mqtt', _('MQTT and Home Assistant'));
		q.addremove = true;
		q.tab('broker', _('Broker'));
		q.tab('auth', _('Login'));
		q.tab('ha', _('Topics'));
		fields.addOptions(q, 'mqtt', [
			[ 'broker', 'enabled', _('Publish over MQTT'), _('States, figures and events, with Home Assistant discovery.') ],
			[ 'broker', 'host', _('Broker host'), _('Host name or address of the broker.') ],
			[ 'broker', 'port', _('Broker port'), _('8883 when TLS is on and no port is set.') ],
			[ 'broker', 'tls', _('TLS'), _('Connect with MQTT over TLS (mqtts).') ],
			[ 'broker', 'ca_file', _('CA file'), _('Certificate authorities to trust; empty: the system\'s.') ],
			[ 'broker', 'tls_insecure', _('Skip certificate check'), _('For testing only.') ],
			[ 'auth', 'username', _('Username'), _('Empty: connect without a login.') ],
			[ 'auth', 'password', _('Password'), _('Never logged.') ],
			[ 'auth', 'password_file', _('Password file'), _('Read the password from this file instead (wins over the password; read on every connect).') ],
			[ 'ha', 'client_id', _('Client id'), _('Empty: wanpulse-<hostname>.') ],
			[ 'ha', 'base_topic', _('Base topic'), _('Empty: wanpulse/<hostname>.') ],
			[ 'ha', 'discovery', _('Home Assistant discovery'), _('Announce sensors to Home Assistant.') ],
			[ 'ha', 'discovery_prefix', _('Discovery prefix'), _('Home Assistant\'s discovery topic prefix.') ],
			[ 'ha', 'publish_interval_s', _('Re-publish every'), _('Periodic re-publish of the figures for graphs; 0: on change only.') ],
			[ 'ha', 'keepalive_s', _('Keepalive'), _('MQTT keepalive interval.') ]
		]);

		var list = candidates(), probingTabs = {};
		fields.HEALTH.forEach(function(n) { probingTabs[n] = 'probing'; });
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
			fields.addOptions(u, 'interface', [
				[ 'uplink', 'enabled', _('Tracked by wanpulse'), _('Off: leave this interface to mwan3 alone.') ],
				[ 'uplink', 'device', _('Device'), _('Device the probes are bound to; empty: from netifd.') ],
				[ 'uplink', 'family', _('Address family'), _('Empty: mwan3\'s.') ],
				[ 'uplink', 'track_ip', _('Probe targets'), _('Addresses, not names. Empty: mwan3\'s track_ip list (required for backend route).') ],
				[ 'uplink', 'reliability', _('Targets that must answer'), _('Empty: mwan3\'s reliability, else 1.') ]
			]);
			fields.healthOptions(u, 'interface', probingTabs);
			fields.addOptions(u, 'interface', [
				[ 'route', 'gateway', _('Gateway'), _('Backend route: next hop; empty: a device route.') ],
				[ 'route', 'weight', _('Weight'), _('Backend route: multipath weight.') ],
				[ 'route', 'metric', _('Metric'), _('Backend route: tier, lower is preferred.') ]
			]);
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
