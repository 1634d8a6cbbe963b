'use strict';
'require baseclass';
'require uci';
'require wanpulse.common as common';

// Overview widget: one line per uplink (state, RTT, loss, probe rate, owner), or why there is no
// live status.

return baseclass.extend({
	title: _('Uplinks (wanpulse)'),

	load: function() {
		uci.unload('wanpulse');
		return Promise.all([
			common.loadStatus(),
			uci.load('wanpulse')
		]);
	},

	render: function(data) {
		var status = data[0];
		var enabled = common.globalValue(uci, 'enabled') != '0';
		var problem = common.problem(status, enabled);
		var nodes = [];
		if (problem)
			nodes.push(common.message(problem));
		var uplinks = (status && status.uplinks) || [];
		if (uplinks.length) {
			nodes.push(E('table', { 'class': 'table wanpulse-widget' }, [
				E('tr', { 'class': 'tr table-titles' }, [ _('Uplink'), _('State'), _('RTT'), _('Loss'), _('Probing'), _('Held by') ].map(function(t) {
					return E('th', { 'class': 'th' }, [ t ]);
				}))
			].concat(uplinks.map(function(u) {
				return E('tr', { 'class': 'tr', 'data-iface': u.iface }, [
					E('td', { 'class': 'td' }, [ u.iface ]),
					E('td', { 'class': 'td' }, [ common.badge(u.state) ]),
					E('td', { 'class': 'td' }, [ common.ms(u.rttMs) ]),
					E('td', { 'class': 'td' }, [ common.pct(u.lossPct) ]),
					E('td', { 'class': 'td wanpulse-probing', 'data-probing': u.probing || '' }, [ common.probingShort(u) ]),
					E('td', { 'class': 'td' }, [ common.ownerLabel(u.owner) ])
				]);
			}))));
		}
		return E('div', { 'class': 'wanpulse-overview' }, nodes);
	}
});
