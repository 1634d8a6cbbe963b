'use strict';
'require baseclass';
'require wanpulse.schema as schema';

// Client-side checks of /etc/config/wanpulse values: the same rules and (in English) the same
// messages as `wanpulse check-config`, built on the generated schema. The server-side run of
// check-config (rpcd `wanpulse check_config`) remains the authority before anything is applied.

function unitWord(unit) {
	switch (unit) {
	case 'rounds': return _('rounds');
	default: return unit;
	}
}

function expected(spec) {
	return spec.unit
		? _('an integer from %s to %s %s').format(String(spec.min), String(spec.max), unitWord(spec.unit))
		: _('an integer from %s to %s').format(String(spec.min), String(spec.max));
}

function checkInt(name, spec, text) {
	var t = String(text).trim();
	if (!/^-?[0-9]{1,15}$/.test(t))
		return _("%s '%s' is not a whole number: expected %s").format(name, text, expected(spec));
	var n = Number(t);
	if (n < spec.min || n > spec.max)
		return _('%s %s is out of range: expected %s').format(name, String(n), expected(spec));
	return true;
}

var DEVICE = /^[A-Za-z0-9_.@-]{1,15}$/;

function checkText(name, spec, text) {
	switch (spec.check) {
	case 'path':
		return /^\/[^\s]*$/.test(text) ? true
			: _("%s '%s' must be an absolute path without spaces").format(name, text);
	case 'host':
		return /^[^\s/]+$/.test(text) ? true
			: _("%s '%s' is not a host name or address").format(name, text);
	case 'nospace':
		return !/\s/.test(text) ? true
			: _("%s '%s' must not contain spaces").format(name, text);
	case 'topic':
		if (/[#+]/.test(text))
			return _("%s '%s' must not contain the wildcards + or #").format(name, text);
		if (text.charAt(0) == '/' || text.charAt(text.length - 1) == '/' || text.indexOf('//') >= 0)
			return _("%s '%s' must not have empty levels (a leading, trailing or double /)").format(name, text);
		if (text.charAt(0) == '$')
			return _("%s '%s' must not start with $ (brokers reserve those topics, e.g. $SYS)").format(name, text);
		if (/[\x00-\x1f\x7f]/.test(text))
			return _("%s '%s' must not contain control characters").format(name, text);
		return true;
	case 'device':
		return (DEVICE.test(text) && text != '.' && text != '..') ? true
			: _("%s '%s' is not a valid device name (1–15 of A–Z a–z 0–9 _ . @ -)").format(name, text);
	}
	return true;
}

return baseclass.extend({
	/** The schema entry of option `name` in a section of type `type` (globals, interface, mqtt). */
	spec: function(type, name) {
		var specs = schema[type] || {};
		return specs.hasOwnProperty(name) ? specs[name] : null;
	},

	/** true, or the message check-config would print for this value (without file and section). */
	value: function(type, name, text) {
		var spec = this.spec(type, name);
		if (spec == null || text == null || text === '')
			return true;
		switch (spec.type) {
		case 'int':
			return checkInt(name, spec, text);
		case 'table':
			return (text == 'main') ? true : checkInt(name, spec, text);
		case 'enum':
			return (spec.values.indexOf(text) >= 0) ? true
				: _("%s '%s' is not one of: %s").format(name, text, spec.values.join(', '));
		case 'string':
			return checkText(name, spec, text);
		}
		return true;
	},

	/** The pair rules (a recovery level above its failure level); get(name) gives the value in
	 *  effect (set here, inherited or the default). true or the message. */
	pairs: function(get) {
		for (var i = 0; i < schema.pairs.length; i++) {
			var lower = schema.pairs[i][0], upper = schema.pairs[i][1];
			var lo = Number(get(lower)), hi = Number(get(upper));
			if (!isNaN(lo) && !isNaN(hi) && lo > hi)
				return _('%s (%s) must not be greater than %s (%s), or the uplink could be judged failed and recovered at once')
					.format(lower, String(lo), upper, String(hi));
		}
		return true;
	},

	/** A probe target: an address, not a name (check-config checks the details). */
	address: function(name, value) {
		var v = String(value == null ? '' : value).trim();
		if (v === '' || /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/.test(v)
			|| (/^[0-9A-Fa-f:.]{2,45}$/.test(v) && v.indexOf(':') >= 0))
			return true;
		return _("%s '%s' is not an IPv4 or IPv6 address").format(name, value);
	},

	/** The pair an option belongs to, or null. */
	pairOf: function(name) {
		for (var i = 0; i < schema.pairs.length; i++)
			if (schema.pairs[i].indexOf(name) >= 0)
				return schema.pairs[i];
		return null;
	}
});
