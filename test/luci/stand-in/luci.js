// Stand-in for the core of LuCI's client runtime (luci.js), written for the tests from LuCI's
// documented interface: the global `L`, `E()`, `_()`, String.prototype.format, the class system
// (`baseclass`), the module loader behind `'require …'`, and the built-in classes `view`,
// `poll` and `dom`. Only what wanpulse's views use; nothing here is LuCI's code.
(function() {
	'use strict';

	// ---- classes ---------------------------------------------------------------------------
	var Class = function() {};
	Class.extend = function(props) {
		var Parent = this;
		var C = function() {
			if (typeof this.__init__ == 'function')
				this.__init__.apply(this, arguments);
		};
		C.prototype = Object.create(Parent.prototype);
		Object.keys(props).forEach(function(k) { C.prototype[k] = props[k]; });
		C.prototype.constructor = C;
		C.extend = Class.extend;
		C.isSubclass = function(c) { return typeof c == 'function' && c.prototype instanceof C; };
		return C;
	};
	Class.isSubclass = function(c) { return typeof c == 'function' && (c === Class || c.prototype instanceof Class); };
	Class.prototype.super = function(key, args) {
		// the method of the nearest ancestor prototype that differs from this one's
		var own = this[key], proto = Object.getPrototypeOf(this);
		while (proto && proto[key] === own)
			proto = Object.getPrototypeOf(proto);
		var fn = proto ? proto[key] : undefined;
		if (arguments.length < 2)
			return fn;
		return fn.apply(this, Array.isArray(args) || (args && typeof args.length == 'number') ? Array.prototype.slice.call(args) : [ args ]);
	};

	// ---- text ------------------------------------------------------------------------------
	String.prototype.format = function() {
		var args = arguments, i = 0;
		return String(this).replace(/%(\.(\d+))?([sdf%])/g, function(m, p, prec, kind) {
			if (kind == '%')
				return '%';
			var v = args[i++];
			if (kind == 'd')
				return Math.floor(+v || 0).toFixed(0);
			if (kind == 'f')
				return prec != null ? (+v || 0).toFixed(+prec) : String(+v || 0);
			return v == null ? '' : String(v);
		});
	};

	var catalog = window.WANPULSE_STANDIN_CATALOG || {};
	window._ = function(s) { return catalog.hasOwnProperty(s) && catalog[s] !== '' ? catalog[s] : s; };

	// ---- DOM -------------------------------------------------------------------------------
	function append(node, children) {
		if (children == null)
			return;
		if (Array.isArray(children)) { children.forEach(function(c) { append(node, c); }); return; }
		node.appendChild(children instanceof Node ? children : document.createTextNode(String(children)));
	}

	window.E = function(tag, attrs, children) {
		if (Array.isArray(attrs) || typeof attrs == 'string' || attrs instanceof Node) { children = attrs; attrs = null; }
		var el = document.createElement(tag);
		Object.keys(attrs || {}).forEach(function(k) {
			var v = attrs[k];
			if (v == null)
				return;
			if (typeof v == 'function')
				el.addEventListener(k, v);
			else
				el.setAttribute(k, typeof v == 'object' ? JSON.stringify(v) : String(v));
		});
		append(el, children);
		return el;
	};

	var instances = new WeakMap();
	var dom = Class.extend({
		content: function(node, children) { while (node.firstChild) node.removeChild(node.firstChild); append(node, children); return node; },
		append: function(node, children) { append(node, children); return node; },
		bindClassInstance: function(node, inst) { instances.set(node, inst); },
		findClassInstance: function(node) { for (; node; node = node.parentNode) if (instances.has(node)) return instances.get(node); return null; },
		callClassMethod: function(node, method) {
			var inst = this.findClassInstance(node);
			return inst ? inst[method].apply(inst, Array.prototype.slice.call(arguments, 2)) : null;
		}
	});
	var domInstance = new dom();

	// ---- poll: LuCI ticks once a second and runs each function every `interval` ticks -------
	var poll = Class.extend({
		__init__: function() { this.queue = []; this.tick = 0; this.timer = null; },
		add: function(fn, interval) {
			if (this.queue.some(function(e) { return e.fn === fn; }))
				return false;
			this.queue.push({ fn: fn, i: Math.max(1, interval >>> 0 || 5), busy: false });
			this.start();
			return true;
		},
		remove: function(fn) { this.queue = this.queue.filter(function(e) { return e.fn !== fn; }); return true; },
		start: function() {
			if (this.timer != null)
				return false;
			var self = this;
			this.timer = window.setInterval(function() { self.step(); }, 1000);
			return true;
		},
		stop: function() { window.clearInterval(this.timer); this.timer = null; return true; },
		active: function() { return this.timer != null; },
		step: function() {
			this.tick++;
			var self = this;
			this.queue.forEach(function(e) {
				if (self.tick % e.i != 0 || e.busy)
					return;
				e.busy = true;
				Promise.resolve().then(e.fn).catch(function(err) { console.error(err); }).then(function() { e.busy = false; });
			});
		}
	});
	var pollInstance = new poll();

	// ---- view ------------------------------------------------------------------------------
	var view = Class.extend({
		__init__: function() {
			var vp = document.getElementById('view'), self = this;
			domInstance.content(vp, E('div', { 'class': 'spinning' }, [ _('Loading view…') ]));
			this.ready = Promise.resolve(this.load()).then(function(data) { return self.render(data); }).then(function(nodes) {
				domInstance.content(vp, nodes);
				domInstance.append(vp, self.addFooter());
				document.body.setAttribute('data-view-ready', '1');
			}).catch(function(err) {
				domInstance.content(vp, E('pre', { 'class': 'alert-message error' }, [ String(err && err.stack || err) ]));
				throw err;
			});
		},
		load: function() {},
		render: function() {},
		handleSave: function(ev) {
			var tasks = [];
			document.getElementById('maincontent').querySelectorAll('.cbi-map').forEach(function(map) {
				tasks.push(domInstance.callClassMethod(map, 'save'));
			});
			return Promise.all(tasks);
		},
		handleSaveApply: function(ev, mode) {
			return this.handleSave(ev).then(function() { return L.require('ui'); }).then(function(ui) { return ui.changes.apply(mode == '0'); });
		},
		handleReset: function(ev) { location.reload(); },
		addFooter: function() {
			var self = this, buttons = [];
			var button = function(cls, label, fn) {
				buttons.push(E('button', { 'class': 'cbi-button ' + cls, 'click': function(ev) {
					return Promise.resolve(fn.call(self, ev)).catch(function(err) { console.warn('action failed: ' + (err && err.message || err)); });
				} }, [ label ]), ' ');
			};
			if (this.handleSaveApply) button('cbi-button-apply', _('Save & Apply'), function(ev) { return this.handleSaveApply(ev, '0'); });
			if (this.handleSave) button('cbi-button-save', _('Save'), this.handleSave);
			if (this.handleReset) button('cbi-button-reset', _('Reset'), this.handleReset);
			return buttons.length ? E('div', { 'class': 'cbi-page-actions' }, buttons) : E('div');
		}
	});

	// ---- the loader behind 'require …' -----------------------------------------------------
	var builtins = { baseclass: Class, view: view, poll: pollInstance, dom: domInstance };
	var cache = {};

	function requireModule(name) {
		if (builtins.hasOwnProperty(name))
			return Promise.resolve(builtins[name]);
		if (!cache[name]) {
			var url = L.resource(name.replace(/\./g, '/') + '.js');
			cache[name] = fetch(url).then(function(res) {
				if (!res.ok)
					throw new Error('cannot load module ' + name + ' (' + url + '): HTTP ' + res.status);
				return res.text();
			}).then(function(text) {
				var deps = [], names = [], re = /^\s*'require ([\w.\-]+)(?: as (\w+))?';/gm, m;
				// the directives at the top of the module, as LuCI reads them
				var head = (text.match(/^(?:\s*'(?:use strict|require [^']+)';[ \t]*\n)+/) || [ '' ])[0];
				while ((m = re.exec(head)) != null) {
					deps.push(m[1]);
					names.push(m[2] || m[1].split('.').pop());
				}
				return Promise.all(deps.map(requireModule)).then(function(resolved) {
					var factory = new Function([ 'window', 'document', 'L' ].concat(names).join(','), text + '\n//# sourceURL=' + url);
					var cls = factory.apply(null, [ window, document, L ].concat(resolved));
					if (!Class.isSubclass(cls))
						throw new TypeError('module ' + name + ' does not return a class');
					return new cls();
				});
			});
		}
		return cache[name];
	}

	window.L = {
		env: { resource: '/luci-static/resources', pollinterval: 5 },
		Class: Class,
		resource: function(path) { return this.env.resource + '/' + path; },
		require: requireModule,
		bind: function(fn, self) { var extra = Array.prototype.slice.call(arguments, 2); return function() { return fn.apply(self, extra.concat(Array.prototype.slice.call(arguments))); }; },
		resolveDefault: function(p, def) { return Promise.resolve(p).catch(function() { return def; }); },
		isObject: function(v) { return v != null && typeof v == 'object'; },
		toArray: function(v) { return v == null ? [] : Array.isArray(v) ? v : [ v ]; },
		error: function(type, fmt) { throw new Error(String(fmt || type)); }
	};
})();
