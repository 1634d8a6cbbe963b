'use strict';
'require baseclass';
'require wanpulse.common as common';

// SVG graph of one uplink's recent RTT (line, left axis) and loss (bars, right axis) from the
// daemon's history, with every transition marked by a vertical line in the new state's colour.

var NS = 'http://www.w3.org/2000/svg';
var W = 640, H = 150, PAD_L = 48, PAD_R = 40, PAD_T = 10, PAD_B = 22;
/** the daemon keeps this many samples per uplink (src/status/history.ts) */
var MAX_SAMPLES = 150;

function svg(name, attrs, children) {
	var el = document.createElementNS(NS, name);
	for (var k in attrs)
		if (attrs.hasOwnProperty(k))
			el.setAttribute(k, String(attrs[k]));
	(children || []).forEach(function(c) {
		el.appendChild(typeof c == 'string' ? document.createTextNode(c) : c);
	});
	return el;
}

/** A round upper bound for the RTT axis: 10, 20, 50, 100, 200, 500 … ms */
function niceMax(v) {
	var m = 10;
	while (m < v)
		m = (String(m).charAt(0) == '2') ? m * 2.5 : m * 2;
	return m;
}

return baseclass.extend({
	/** history: the reply of `wanpulse history`; iface: the uplink's name; now: epoch ms */
	render: function(history, iface, now) {
		var up = null;
		(history.uplinks || []).forEach(function(u) { if (u.iface == iface) up = u; });
		var box = E('div', { 'class': 'wanpulse-graph', 'data-iface': iface });
		if (up == null || !up.t || up.t.length < 2) {
			box.appendChild(E('em', {}, [ _('Not enough history yet for a graph.') ]));
			return box;
		}
		// the time axis covers the history there is (at least a minute), up to the whole ring
		var base = history.base, first = base + up.t[0];
		var end = Math.max(now, base + up.t[up.t.length - 1]);
		var span = Math.min(Math.max(end - first, 60000), (history.sampleMs || 2000) * MAX_SAMPLES);
		var start = end - span;
		var x = function(at) { return PAD_L + (W - PAD_L - PAD_R) * Math.max(0, at - start) / span; };
		var maxRtt = niceMax(Math.max.apply(null, up.rtt.map(function(v) { return v || 0; }).concat([ 1 ])));
		var yRtt = function(v) { return PAD_T + (H - PAD_T - PAD_B) * (1 - v / maxRtt); };
		var yLoss = function(v) { return PAD_T + (H - PAD_T - PAD_B) * (1 - v / 100); };
		var plot = svg('svg', { 'viewBox': '0 0 ' + W + ' ' + H, 'width': '100%', 'role': 'img', 'class': 'wanpulse-svg' });
		plot.appendChild(svg('title', {}, [ _('RTT and loss of %s').format(iface) ]));
		plot.appendChild(svg('rect', { x: PAD_L, y: PAD_T, width: W - PAD_L - PAD_R, height: H - PAD_T - PAD_B, fill: 'none', stroke: '#bbb' }));

		var barW = Math.max(1, (W - PAD_L - PAD_R) * (history.sampleMs || 2000) / span);
		var path = '', pen = false;
		for (var i = 0; i < up.t.length; i++) {
			var at = base + up.t[i];
			if (at < start)
				continue;
			var loss = up.loss[i];
			if (loss != null && loss > 0)
				plot.appendChild(svg('rect', { 'class': 'wanpulse-loss', x: x(at) - barW / 2, y: yLoss(loss), width: barW, height: (H - PAD_B) - yLoss(loss), fill: '#e57373', opacity: 0.6 }));
			var rtt = up.rtt[i];
			if (rtt == null) { pen = false; continue; }
			path += (pen ? 'L' : 'M') + x(at).toFixed(1) + ' ' + yRtt(Math.min(rtt, maxRtt)).toFixed(1);
			pen = true;
		}
		if (path)
			plot.appendChild(svg('path', { 'class': 'wanpulse-rtt', d: path, fill: 'none', stroke: '#1565c0', 'stroke-width': 1.5 }));

		(history.transitions || []).forEach(function(t) {
			if (t.iface != iface || t.at < start)
				return;
			var colour = common.STATE_COLOURS[t.to] || '#616161';
			plot.appendChild(svg('line', { 'class': 'wanpulse-transition', 'data-to': t.to, x1: x(t.at), x2: x(t.at), y1: PAD_T, y2: H - PAD_B, stroke: colour, 'stroke-width': 2, 'stroke-dasharray': '4 2' }, [
				svg('title', {}, [ _('%s → %s: %s').format(common.stateLabel(t.from), common.stateLabel(t.to), t.reason || '') ])
			]));
		});

		var label = function(tx, ty, text, anchor, colour) {
			return svg('text', { x: tx, y: ty, 'font-size': 10, 'text-anchor': anchor, fill: colour || '#555' }, [ text ]);
		};
		plot.appendChild(label(PAD_L - 4, PAD_T + 8, _('%s ms').format(maxRtt), 'end', '#1565c0'));
		plot.appendChild(label(PAD_L - 4, H - PAD_B, _('0 ms'), 'end', '#1565c0'));
		plot.appendChild(label(W - PAD_R + 4, PAD_T + 8, _('100 %'), 'start', '#c62828'));
		plot.appendChild(label(W - PAD_R + 4, H - PAD_B, _('0 %'), 'start', '#c62828'));
		plot.appendChild(label(PAD_L, H - 6, span >= 120000 ? _('%s min ago').format(Math.round(span / 60000)) : _('%s s ago').format(Math.round(span / 1000)), 'start'));
		plot.appendChild(label(W - PAD_R, H - 6, _('now'), 'end'));
		box.appendChild(plot);
		return box;
	}
});
