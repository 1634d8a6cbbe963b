'use strict';
'require baseclass';
'require rpc';

// What the status page and the overview widget share: the rpcd calls and how a state, a
// duration or a figure is shown.

var STATE_COLOURS = {
	online: '#2e7d32',
	degraded: '#ef6c00',
	offline: '#c62828',
	unknown: '#616161'
};

/** A status older than this (seconds) is called stale: the daemon rewrites it every second. */
var STALE_S = 5;

return baseclass.extend({
	STALE_S: STALE_S,
	STATE_COLOURS: STATE_COLOURS,

	callStatus: rpc.declare({ object: 'wanpulse', method: 'status', reject: true }),
	callHistory: rpc.declare({ object: 'wanpulse', method: 'history', reject: true }),

	/** The status, or { rpcError } when rpcd cannot answer (plugin not loaded, no permission). */
	loadStatus: function() {
		return this.callStatus().catch(function(err) { return { rpcError: String((err && err.message) || err) }; });
	},

	/** An option of `config globals` as the daemon reads it: a later section overrides. */
	globalValue: function(uci, name) {
		var v = null;
		uci.sections('wanpulse', 'globals').forEach(function(s) { if (s[name] != null) v = s[name]; });
		return v;
	},

	stateLabel: function(state) {
		switch (state) {
		case 'online': return _('online');
		case 'degraded': return _('degraded');
		case 'offline': return _('offline');
		default: return _('unknown');
		}
	},

	badge: function(state) {
		var known = STATE_COLOURS.hasOwnProperty(state) ? state : 'unknown';
		return E('span', {
			'class': 'wanpulse-badge wanpulse-' + known,
			'data-state': known,
			'style': 'display:inline-block;min-width:5.5em;text-align:center;padding:.1em .6em;border-radius:.8em;color:#fff;font-weight:bold;background:' + STATE_COLOURS[known]
		}, [ this.stateLabel(known) ]);
	},

	ownerLabel: function(owner) {
		return owner == 'wanpulse' ? _('wanpulse') : _('mwan3');
	},

	/** "42 s", "5.3 min", "3.1 h", "2.0 d" */
	duration: function(seconds) {
		if (seconds == null || isNaN(seconds))
			return '-';
		seconds = Math.max(0, seconds);
		if (seconds < 90)
			return _('%s s').format(Math.round(seconds));
		if (seconds < 5400)
			return _('%s min').format((seconds / 60).toFixed(1));
		if (seconds < 172800)
			return _('%s h').format((seconds / 3600).toFixed(1));
		return _('%s d').format((seconds / 86400).toFixed(1));
	},

	ms: function(v) {
		return (v == null) ? '-' : _('%s ms').format(Number(v).toFixed(1));
	},

	pct: function(v) {
		return (v == null) ? '-' : _('%s %%').format(Number(v).toFixed(1));
	},

	/** The probe rate in a few words (the overview widget): at interval_ms, or once a second while
	 *  the uplink's own traffic shows it alive; '-' when the daemon does not report it. */
	probingShort: function(u) {
		if (u.probing == 'slow')
			return _('1/s, own traffic shows it alive');
		if (u.probing == 'fast')
			return (u.intervalMs != null) ? _('every %s ms').format(u.intervalMs) : _('at the probe interval');
		return '-';
	},

	/** Why there is no live status, or null when the daemon is running and current. */
	problem: function(status, enabled) {
		if (!enabled)
			return { level: 'warning', text: _('wanpulse is disabled (Settings: General, Enabled). Nothing is probed or switched; mwan3 alone decides.') };
		if (status != null && status.rpcError != null)
			return { level: 'danger', text: _('The status cannot be read through rpcd (%s). After installing wanpulse, restart rpcd: "service rpcd restart".').format(status.rpcError) };
		if (status == null || (status.running === false && status.uplinks == null))
			return { level: 'danger', text: _('wanpulse is not running and has left no status. Start it with "service wanpulse start"; "logread -e wanpulse" shows why it stopped.') };
		if (status.running === false)
			return { level: 'danger', text: _('wanpulse is not running. What is shown is its last status, %s old.').format(this.duration(status.age_s)) };
		if (status.age_s != null && status.age_s > STALE_S)
			return { level: 'warning', text: _('The status is %s old: the daemon is not updating it (hung or overloaded?).').format(this.duration(status.age_s)) };
		return null;
	},

	message: function(problem) {
		return E('div', { 'class': 'alert-message ' + problem.level + ' wanpulse-problem', 'data-level': problem.level }, [ problem.text ]);
	}
});
