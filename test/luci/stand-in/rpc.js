'use strict';
'require baseclass';

// Stand-in for LuCI's rpc module: rpc.declare() returns a function that calls a ubus method
// over JSON-RPC ("call", [session, object, method, args]) as LuCI's /ubus endpoint expects;
// a non-zero ubus status rejects only with `reject: true` (else it is the result), and the
// reply is extracted by `expect`, as documented.
var id = 1;

return baseclass.extend({
	call: function(object, method, args) {
		return fetch('/ubus', {
			method: 'POST',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify({ jsonrpc: '2.0', id: id++, method: 'call', params: [ 'stand-in-session', object, method, args || {} ] })
		}).then(function(res) { return res.json(); }).then(function(reply) {
			if (reply.error)
				throw new Error('RPC error: ' + reply.error.message);
			var r = reply.result;
			if (!Array.isArray(r))
				throw new Error('RPC call to ' + object + '/' + method + ' returned no result');
			return r;
		});
	},

	declare: function(options) {
		var self = this;
		return function() {
			var args = {}, params = options.params || [];
			for (var i = 0; i < params.length && i < arguments.length; i++)
				args[params[i]] = arguments[i];
			return self.call(options.object, options.method, args).then(function(result) {
				// as documented: a non-zero ubus status rejects with `reject`, else it is the value
				if (result[0] !== 0) {
					if (options.reject)
						throw new Error('RPC call to ' + options.object + '/' + options.method + ' failed with ubus code ' + result[0]);
					return result[0];
				}
				var data = result[1];
				var expect = options.expect;
				if (expect != null) {
					var key = Object.keys(expect)[0];
					if (key !== '') {
						var v = (data != null) ? data[key] : null;
						data = (v == null) ? expect[key] : v;
					}
					else if (data == null) {
						data = expect[key];
					}
				}
				return typeof options.filter == 'function' ? options.filter(data, args) : data;
			});
		};
	}
});
