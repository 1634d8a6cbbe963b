'use strict';
'require baseclass';
'require rpc';

// Stand-in for LuCI's uci module: configurations loaded with rpcd's `uci get`, changes kept
// locally until save(), which sends them as `uci add|set|delete` (the session's staged
// changes, as rpcd keeps them) and reloads; apply happens through ui.changes.apply.
var callGet = rpc.declare({ object: 'uci', method: 'get', params: [ 'config' ], expect: { values: {} }, reject: true });
var callAdd = rpc.declare({ object: 'uci', method: 'add', params: [ 'config', 'type', 'name', 'values' ], reject: true });
var callSet = rpc.declare({ object: 'uci', method: 'set', params: [ 'config', 'section', 'values' ], reject: true });
var callDelete = rpc.declare({ object: 'uci', method: 'delete', params: [ 'config', 'section', 'options' ], reject: true });

return baseclass.extend({
	__init__: function() { this.values = {}; this.changes = {}; },

	load: function(configs) {
		var self = this, list = Array.isArray(configs) ? configs : [ configs ];
		return Promise.all(list.map(function(c) {
			if (self.values[c])
				return c;
			return callGet(c).then(function(v) {
				self.values[c] = v;
				return c;
			});
		})).then(function(r) { return Array.isArray(configs) ? r : r[0]; });
	},

	unload: function(configs) {
		var self = this;
		L.toArray(configs).forEach(function(c) { delete self.values[c]; delete self.changes[c]; });
	},

	state: function(config) {
		this.changes[config] = this.changes[config] || { add: [], set: {}, unset: {}, remove: [] };
		return this.changes[config];
	},

	get: function(config, sid, opt) {
		var s = (this.values[config] || {})[sid];
		if (s == null)
			return null;
		if (opt == null)
			return s;
		return s.hasOwnProperty(opt) ? s[opt] : null;
	},

	set: function(config, sid, opt, value) {
		var s = (this.values[config] || {})[sid];
		if (s == null)
			return;
		if (value == null || value === '' || (Array.isArray(value) && !value.length))
			return this.unset(config, sid, opt);
		s[opt] = value;
		var st = this.state(config);
		(st.set[sid] = st.set[sid] || {})[opt] = value;
		if (st.unset[sid]) delete st.unset[sid][opt];
	},

	unset: function(config, sid, opt) {
		var s = (this.values[config] || {})[sid];
		if (s == null || !s.hasOwnProperty(opt))
			return;
		delete s[opt];
		var st = this.state(config);
		(st.unset[sid] = st.unset[sid] || {})[opt] = true;
		if (st.set[sid]) delete st.set[sid][opt];
	},

	add: function(config, type, name) {
		this.values[config] = this.values[config] || {};
		var n = Object.keys(this.values[config]).length;
		this.values[config][name] = { '.name': name, '.type': type, '.anonymous': false, '.index': n };
		this.state(config).add.push({ type: type, name: name });
		return name;
	},

	remove: function(config, sid) {
		if (this.values[config])
			delete this.values[config][sid];
		this.state(config).remove.push(sid);
	},

	sections: function(config, type, cb) {
		var list = Object.keys(this.values[config] || {}).map(function(k) { return this.values[config][k]; }, this)
			.filter(function(s) { return type == null || s['.type'] == type; })
			.sort(function(a, b) { return a['.index'] - b['.index']; });
		if (typeof cb == 'function')
			list.forEach(function(s) { cb.call(this, s, s['.name']); }, this);
		return list;
	},

	save: function() {
		var self = this, calls = [];
		Object.keys(this.changes).forEach(function(config) {
			var st = self.changes[config];
			st.remove.forEach(function(sid) { calls.push(function() { return callDelete(config, sid, null); }); });
			st.add.forEach(function(a) { calls.push(function() { return callAdd(config, a.type, a.name, {}); }); });
			Object.keys(st.set).forEach(function(sid) { if (Object.keys(st.set[sid]).length) calls.push(function() { return callSet(config, sid, st.set[sid]); }); });
			Object.keys(st.unset).forEach(function(sid) { var o = Object.keys(st.unset[sid]); if (o.length) calls.push(function() { return callDelete(config, sid, o); }); });
		});
		var configs = Object.keys(this.changes);
		this.changes = {};
		return calls.reduce(function(p, c) { return p.then(c); }, Promise.resolve()).then(function() {
			configs.forEach(function(c) { delete self.values[c]; });
			return self.load(configs.length ? configs : []);
		});
	}
});
