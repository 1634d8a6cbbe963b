'use strict';
'require view';
'require poll';
'require uci';
'require dom';
'require wanpulse.common as common';
'require wanpulse.graph as graph';

// Status → wanpulse: every uplink as the daemon sees it, refreshed every 2 s.

var POLL_S = 2;

function cell(content, attrs) {
	return E('td', Object.assign({ 'class': 'td' }, attrs || {}), Array.isArray(content) ? content : [ content ]);
}

function headRow(titles) {
	return E('tr', { 'class': 'tr table-titles' }, titles.map(function(t) { return E('th', { 'class': 'th' }, [ t ]); }));
}

function uplinkRow(u, nowS) {
	return E('tr', { 'class': 'tr', 'data-iface': u.iface }, [
		cell(E('strong', {}, [ u.iface ]), { 'data-title': _('Uplink') }),
		cell(common.badge(u.state), { 'class': 'td wanpulse-state', 'data-title': _('State') }),
		cell(common.duration(nowS - u.since / 1000), { 'data-title': _('Since') }),
		cell(common.ms(u.rttMs), { 'class': 'td wanpulse-rtt', 'data-title': _('RTT') }),
		cell(common.ms(u.jitterMs), { 'data-title': _('Jitter') }),
		cell(common.pct(u.lossPct), { 'class': 'td wanpulse-loss', 'data-title': _('Loss') }),
		cell(common.ownerLabel(u.owner), { 'class': 'td wanpulse-owner', 'data-title': _('Held by') }),
		cell(u.reason || '-', { 'class': 'td wanpulse-reason', 'data-title': _('Reason') })
	]);
}

function targetsTable(u) {
	return E('table', { 'class': 'table wanpulse-targets' }, [
		headRow([ _('Target'), _('Answers'), _('RTT'), _('Loss') ])
	].concat((u.targets || []).map(function(t) {
		var state = t.up == null ? _('no result yet') : (t.up ? _('up') : _('down'));
		return E('tr', { 'class': 'tr', 'data-ip': t.ip }, [
			cell(t.ip), cell(state, { 'class': 'td wanpulse-target-up', 'data-up': String(t.up) }), cell(common.ms(t.rttMs)), cell(common.pct(t.lossPct))
		]);
	})));
}

/** How often the uplink is probed now: at interval_ms, or once a second while its own traffic
 *  shows it alive (the daemon's `probing`; older daemons do not report it). */
function probingText(u) {
	if (u.probing == 'slow')
		return _('once a second, because its own traffic shows that it is alive');
	return (u.intervalMs != null) ? _('every %s ms to each target').format(u.intervalMs) : _('at the probe interval');
}

function switchText(sw, nowS) {
	if (!sw)
		return _('No switchover since the daemon started.');
	var steps = (sw.steps || []).map(function(s) { return _('%s %s ms').format(s.step, s.ms); }).join(', ');
	var what = sw.direction == 'down' ? _('taken out of rotation') : _('handed back');
	var result = sw.ok ? _('done in %s ms').format(sw.totalMs) : _('failed after %s ms: %s').format(sw.totalMs, sw.error || '');
	var routed = (sw.routeMs != null) ? _('routing changed after %s ms').format(sw.routeMs) + ', ' : '';
	return _('%s %s ago (%s), %s').format(what, common.duration(nowS - sw.at / 1000), sw.reason, routed + result) + (steps ? ' [' + steps + ']' : '');
}

function mqttText(mqtt) {
	if (mqtt == null || !mqtt.enabled)
		return E('span', { 'data-mqtt': 'disabled' }, [ _('not enabled') ]);
	if (mqtt.connected)
		return E('span', { 'data-mqtt': 'connected' }, [ _('connected') ]);
	return E('span', { 'data-mqtt': 'disconnected' }, [ _('not connected') + (mqtt.lastError ? ': ' + mqtt.lastError : '') ]);
}

return view.extend({
	load: function() {
		return Promise.all([
			common.loadStatus(),
			L.resolveDefault(common.callHistory(), { uplinks: [], transitions: [] }),
			uci.load('wanpulse')
		]);
	},

	enabled: function() {
		return common.globalValue(uci, 'enabled') != '0';
	},

	renderStatus: function(status, history) {
		var nowS = Date.now() / 1000;
		var nodes = [];
		var problem = common.problem(status, this.enabled());
		if (problem)
			nodes.push(common.message(problem));
		if (status == null || status.uplinks == null)
			return E('div', { 'id': 'wanpulse-status' }, nodes);

		nodes.push(E('p', { 'class': 'wanpulse-summary' }, [
			_('wanpulse %s, backend %s, running for %s, updated %s ago.').format(status.version, status.backend,
				common.duration(nowS - status.startedAt / 1000), common.duration(status.age_s)),
			' ', _('MQTT:'), ' ', mqttText(status.mqtt)
		]));

		var uplinks = status.uplinks || [];
		nodes.push(E('table', { 'class': 'table wanpulse-uplinks' }, [
			headRow([ _('Uplink'), _('State'), _('Since'), _('RTT'), _('Jitter'), _('Loss'), _('Held by'), _('Reason') ])
		].concat(uplinks.map(function(u) { return uplinkRow(u, nowS); }))));
		if (!uplinks.length)
			nodes.push(E('p', {}, [ E('em', {}, [ _('No uplink is tracked: enable mwan3 interfaces with a track_ip, or add uplinks for backend route.') ]) ]));

		uplinks.forEach(function(u) {
			var probing = u.probing ? [ E('p', { 'class': 'wanpulse-probing', 'data-probing': u.probing }, [ E('strong', {}, [ _('Probing:') ]), ' ', probingText(u) ]) ] : [];
			nodes.push(E('div', { 'class': 'cbi-section wanpulse-uplink', 'data-iface': u.iface }, [
				E('h3', {}, [ _('Uplink %s (%s, %s)').format(u.iface, u.device, u.family) ]),
				graph.render(history || {}, u.iface, Date.now())
			].concat(probing, [
				targetsTable(u),
				E('p', { 'class': 'wanpulse-switch' }, [ E('strong', {}, [ _('Last switchover:') ]), ' ', switchText(u.lastSwitch, nowS) ])
			])));
		});

		var ev = status.lastEvent;
		nodes.push(E('p', { 'class': 'wanpulse-event' }, [ E('strong', {}, [ _('Last event:') ]), ' ',
			ev ? _('%s %s → %s %s ago (%s)').format(ev.iface, common.stateLabel(ev.from), common.stateLabel(ev.to), common.duration(nowS - ev.at / 1000), ev.reason)
				+ (ev.detectMs != null ? ', ' + _('detected in %s ms').format(ev.detectMs) : '')
				: _('none since the daemon started')
		]));
		return E('div', { 'id': 'wanpulse-status' }, nodes);
	},

	refresh: function(box) {
		uci.unload('wanpulse');
		return Promise.all([
			common.loadStatus(),
			L.resolveDefault(common.callHistory(), { uplinks: [], transitions: [] }),
			uci.load('wanpulse')
		]).then(L.bind(function(data) {
			dom.content(box, this.renderStatus(data[0], data[1]));
		}, this));
	},

	render: function(data) {
		var box = E('div', { 'class': 'cbi-section' }, [ this.renderStatus(data[0], data[1]) ]);
		poll.add(L.bind(this.refresh, this, box), POLL_S);
		return E('div', {}, [
			E('h2', {}, [ _('wanpulse: uplink status') ]),
			E('div', { 'class': 'cbi-map-descr' }, [ _('What wanpulse measures on every uplink mwan3 tracks, refreshed every %s seconds.').format(POLL_S) ]),
			box
		]);
	},

	handleSaveApply: null,
	handleSave: null,
	handleReset: null
});
