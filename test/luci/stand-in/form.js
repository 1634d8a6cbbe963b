'use strict';
'require baseclass';
'require uci';
'require dom';
'require ui';

// Stand-in for LuCI's form module: Map, NamedSection (tabs, addremove) and the option classes
// the settings view uses (Value, Flag, ListValue, DynamicList, DummyValue), with LuCI's
// semantics for cfgvalue/formvalue/validate/rmempty and save() = parse → uci.save → re-render.
// Element ids follow LuCI's scheme (cbi-<config>-<section>-<option>, widget.cbid.<c>.<s>.<o>).

var Map = baseclass.extend({
	__init__: function(config, title, description) {
		this.config = config; this.title = title; this.description = description; this.children = [];
	},
	section: function(cls) {
		var s = new (Function.prototype.bind.apply(cls, [ null, this ].concat(Array.prototype.slice.call(arguments, 1))))();
		this.children.push(s);
		return s;
	},
	load: function() { return uci.load(this.config); },
	renderContents: function() {
		var self = this;
		var node = this.root || (this.root = E('div', { 'class': 'cbi-map', 'id': 'cbi-' + this.config }));
		dom.bindClassInstance(node, this);
		dom.content(node, [
			this.title ? E('h2', {}, [ this.title ]) : null,
			this.description ? E('div', { 'class': 'cbi-map-descr' }, [ this.description ]) : null
		].concat(this.children.map(function(s) { return s.render(); })));
		return node;
	},
	render: function() { return this.load().then(L.bind(this.renderContents, this)); },
	parse: function() {
		return Promise.all(this.children.map(function(s) { return s.parse(); }));
	},
	save: function(cb, silent) {
		var self = this;
		return this.parse().then(cb).then(function() { return uci.save(); }).then(function() { return self.load(); })
			.then(function() { self.renderContents(); })
			.catch(function(e) {
				if (!silent)
					ui.addNotification(_('Save error'), E('p', {}, [ String(e && e.message || e) ]), 'danger', 'wanpulse-save-error');
				return Promise.reject(e);
			});
	}
});

var NamedSection = baseclass.extend({
	__init__: function(map, sid, type, title, description) {
		this.map = map; this.sid = sid; this.sectiontype = type; this.title = title; this.description = description;
		this.tabs = []; this.options = []; this.addremove = false;
	},
	tab: function(name, title, description) { this.tabs.push({ name: name, title: title, description: description }); },
	option: function(cls, name, title, description) { return this.taboption(null, cls, name, title, description); },
	taboption: function(tab, cls, name, title, description) {
		var o = new cls(this.map, this, name, title, description);
		o.tab = tab;
		this.options.push(o);
		return o;
	},
	formvalue: function(sid, name) {
		var o = this.options.filter(function(x) { return x.option == name; })[0];
		return o ? o.formvalue(sid) : null;
	},
	exists: function() { return uci.get(this.map.config, this.sid) != null; },
	render: function() {
		var self = this, map = this.map;
		var node = E('div', { 'class': 'cbi-section', 'id': 'cbi-' + map.config + '-' + this.sid, 'data-section': this.sid }, [
			this.title ? E('h3', {}, [ this.title ]) : null,
			this.description ? E('div', { 'class': 'cbi-section-descr' }, [ this.description ]) : null
		]);
		if (!this.exists()) {
			if (this.addremove)
				node.appendChild(E('button', { 'class': 'cbi-button cbi-button-add', 'click': function() {
					// as LuCI does: create the section, then save the form (stages every edit) and redraw
					uci.add(map.config, self.sectiontype, self.sid);
					return map.save(null, true);
				} }, [ _('Add') ]));
			return node;
		}
		var groups = this.tabs.length ? this.tabs : [ { name: null, title: null } ];
		groups.forEach(function(t) {
			var opts = self.options.filter(function(o) { return o.tab == t.name; });
			node.appendChild(E('fieldset', { 'class': 'cbi-section-node', 'data-tab': t.name || '' }, [
				t.title ? E('legend', {}, [ t.title ]) : null
			].concat(opts.map(function(o) { return o.render(self.sid); }))));
		});
		if (this.addremove)
			node.appendChild(E('button', { 'class': 'cbi-button cbi-button-remove', 'click': function() {
				uci.remove(map.config, self.sid);
				return map.save(null, true);
			} }, [ _('Delete') ]));
		return node;
	},
	parse: function() {
		if (!this.exists())
			return Promise.resolve();
		var sid = this.sid;
		return Promise.all(this.options.map(function(o) { return o.parse(sid); }));
	}
});

var AbstractValue = baseclass.extend({
	__init__: function(map, section, option, title, description) {
		this.map = map; this.section = section; this.option = option; this.title = title; this.description = description;
		this.rmempty = true; this.choices = [];
	},
	value: function(key, label) { this.choices.push([ key, label != null ? label : key ]); },
	depends: function() { throw new Error('stand-in: depends() is not implemented (the views do not use it)'); },
	cfgvalue: function(sid) { return uci.get(this.map.config, sid, this.option); },
	widgetId: function(sid) { return 'widget.cbid.' + this.map.config + '.' + sid + '.' + this.option; },
	widget: function(sid) { return document.getElementById(this.widgetId(sid)); },
	initial: function(sid) { var v = this.cfgvalue(sid); return v != null ? v : (this.default != null ? this.default : ''); },
	formvalue: function(sid) { var w = this.widget(sid); return w ? w.value : null; },
	/** true or the message of the first invalid value */
	check: function(sid) {
		var v = this.formvalue(sid), items = Array.isArray(v) ? v : [ v ];
		if (typeof this.validate != 'function')
			return true;
		for (var i = 0; i < items.length; i++) {
			var r = this.validate(sid, items[i]);
			if (r !== true)
				return r;
		}
		return true;
	},
	isValid: function(sid) { return this.check(sid) === true; },
	showValidity: function(sid) {
		var r = this.check(sid), w = this.widget(sid), err = document.getElementById('cbi-' + this.map.config + '-' + sid + '-' + this.option + '-error');
		w.classList.toggle('cbi-input-invalid', r !== true);
		err.textContent = r === true ? '' : String(r);
		return r;
	},
	makeWidget: function(sid) {
		var v = this.initial(sid);
		return E('input', { 'type': this.password ? 'password' : 'text', 'class': 'cbi-input-text', 'value': Array.isArray(v) ? v.join(' ') : v, 'placeholder': this.placeholder });
	},
	render: function(sid) {
		var self = this, w = this.makeWidget(sid);
		w.id = this.widgetId(sid);
		w.addEventListener('input', function() { self.showValidity(sid); });
		w.addEventListener('change', function() { self.showValidity(sid); });
		return E('div', { 'class': 'cbi-value', 'id': 'cbi-' + this.map.config + '-' + sid + '-' + this.option, 'data-name': this.option }, [
			E('label', { 'class': 'cbi-value-title', 'for': w.id }, [ this.title ]),
			E('div', { 'class': 'cbi-value-field' }, [
				w,
				E('div', { 'class': 'cbi-value-error', 'id': 'cbi-' + this.map.config + '-' + sid + '-' + this.option + '-error' }),
				this.description ? E('div', { 'class': 'cbi-value-description' }, [ this.description ]) : null
			])
		]);
	},
	same: function(a, b) { return JSON.stringify(a == null ? null : a) === JSON.stringify(b == null ? null : b); },
	parse: function(sid) {
		var r = this.check(sid);
		if (r !== true)
			return Promise.reject(new Error(_('One or more invalid/required values on tab "%s"').format(this.tab || '') + ': ' + r));
		var fval = this.formvalue(sid), cval = this.cfgvalue(sid);
		if (fval === '' || fval == null || (Array.isArray(fval) && !fval.length)) {
			if (cval != null && (this.rmempty || this.optional))
				uci.unset(this.map.config, sid, this.option);
		}
		else if (!this.same(fval, cval)) {
			uci.set(this.map.config, sid, this.option, fval);
		}
		return Promise.resolve();
	}
});

var Value = AbstractValue.extend({});

var Flag = AbstractValue.extend({
	makeWidget: function(sid) {
		var box = E('input', { 'type': 'checkbox', 'class': 'cbi-input-checkbox' });
		box.checked = String(this.initial(sid)) == '1';
		return box;
	},
	formvalue: function(sid) { var w = this.widget(sid); return w ? (w.checked ? '1' : '0') : null; },
	// as LuCI's flag: a value equal to the default is removed (rmempty), any other is written
	parse: function(sid) {
		var fval = this.formvalue(sid);
		if (fval == (this.default != null ? this.default : '0') && (this.rmempty || this.optional))
			uci.unset(this.map.config, sid, this.option);
		else if (fval != this.cfgvalue(sid))
			uci.set(this.map.config, sid, this.option, fval);
		return Promise.resolve();
	}
});

var ListValue = AbstractValue.extend({
	makeWidget: function(sid) {
		var v = String(this.initial(sid));
		var sel = E('select', { 'class': 'cbi-input-select' }, this.choices.map(function(c) { return E('option', { 'value': c[0] }, [ c[1] ]); }));
		sel.value = v;
		return sel;
	}
});

var DynamicList = AbstractValue.extend({
	formvalue: function(sid) {
		var w = this.widget(sid);
		return w ? w.value.split(/\s+/).filter(function(x) { return x !== ''; }) : null;
	},
	cfgvalue: function(sid) { var v = uci.get(this.map.config, sid, this.option); return v == null ? null : L.toArray(v); }
});

var DummyValue = AbstractValue.extend({
	makeWidget: function(sid) { return E('div', { 'class': 'cbi-value-dummy' }, [ String(this.cfgvalue(sid) || '') ]); },
	formvalue: function() { return null; },
	parse: function() { return Promise.resolve(); }
});

return baseclass.extend({
	Map: Map, NamedSection: NamedSection, Value: Value, Flag: Flag, ListValue: ListValue, DynamicList: DynamicList, DummyValue: DummyValue
});
