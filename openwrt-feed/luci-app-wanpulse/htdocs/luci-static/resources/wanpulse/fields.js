'use strict';
'require baseclass';
'require form';
'require uci';
'require wanpulse.checks as checks';
'require wanpulse.schema as schema';
'require wanpulse.common as common';

// The settings page's fields: each option shaped by the generated schema (widget, default,
// unit, range in its description, placeholder = the value in effect) and checked as
// `wanpulse check-config` checks it.

var HEALTH = [ 'interval_ms', 'timeout_ms', 'down', 'up', 'window', 'check_quality', 'failure_latency_ms',
	'recovery_latency_ms', 'failure_loss', 'recovery_loss', 'degraded_failover', 'flap_window_s', 'max_hold_s',
	'traffic_evidence' ];

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

/** addOption for a list of [ tab, name, title, text ] */
function addOptions(s, type, list) {
	list.forEach(function(o) { addOption(s, o[0], type, o[1], o[2], o[3]); });
}

function healthOptions(s, type, tabs) {
	[
		[ 'interval_ms', _('Probe interval'), _('Time between two probes of a target.') ],
		[ 'timeout_ms', _('Probe timeout'), _('A later reply counts as lost. May exceed the interval.') ],
		[ 'down', _('Failed rounds to go offline'), _('Failed rounds in a row before an uplink is offline.') ],
		[ 'up', _('Good rounds to come back'), _('Good rounds in a row before it is online again (more while flaps are damped).') ],
		[ 'window', _('Window'), _('Rounds over which RTT, jitter and loss are computed.') ],
		[ 'check_quality', _('Judge quality'), _('Mark an uplink degraded when its latency or loss passes the levels below.') ],
		[ 'failure_latency_ms', _('Degraded above latency'), _('Mean RTT above this marks the uplink degraded.') ],
		[ 'recovery_latency_ms', _('Recovered below latency'), _('Mean RTT must fall to this to recover (not above the degraded level).') ],
		[ 'failure_loss', _('Degraded above loss'), _('Loss above this marks the uplink degraded.') ],
		[ 'recovery_loss', _('Recovered below loss'), _('Loss must fall to this to recover (not above the degraded level).') ],
		[ 'degraded_failover', _('Fail over when degraded'), _('Degraded uplinks leave the rotation like offline ones, while another one is healthy.') ],
		[ 'flap_window_s', _('Flap window'), _('An outage this soon after a recovery counts as a flap; each flap doubles the good rounds needed.') ],
		[ 'max_hold_s', _('Longest hold-down'), _('Upper bound of the damped wait before a flapping uplink may come back.') ],
		[ 'traffic_evidence', _('Use the uplink\'s own traffic'), _('Received traffic and late replies prove a slow uplink alive: failed probes then make it degraded, not offline.') ]
	].forEach(function(o) { addOption(s, tabs ? tabs[o[0]] : null, type, o[0], o[1], o[2]); });
}

return baseclass.extend({
	HEALTH: HEALTH,
	addOption: addOption,
	addOptions: addOptions,
	healthOptions: healthOptions
});
