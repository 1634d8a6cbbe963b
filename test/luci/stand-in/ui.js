'use strict';
'require baseclass';
'require rpc';

// Stand-in for LuCI's ui module: notifications above the view, and ui.changes.apply(), which
// asks rpcd to apply the session's staged changes (`uci apply` with rollback, then `uci
// confirm`, as LuCI does) and says so.
var callApply = rpc.declare({ object: 'uci', method: 'apply', params: [ 'rollback', 'timeout' ], reject: true });
var callConfirm = rpc.declare({ object: 'uci', method: 'confirm', reject: true });

var UI = baseclass.extend({
	addNotification: function(title, children) {
		var classes = Array.prototype.slice.call(arguments, 2);
		var box = E('div', { 'class': 'alert-message fade-in ' + classes.join(' ') }, [
			title ? E('h4', {}, [ title ]) : null,
			children
		]);
		var main = document.getElementById('maincontent');
		main.insertBefore(box, main.firstChild);
		return box;
	},

	showModal: function(title, children) {
		return this.addNotification(title, children, 'modal');
	},

	hideModal: function() {},

	changes: {
		apply: function(checked) {
			return callApply(!!checked, 30).then(function() {
				return checked ? callConfirm() : null;
			}).then(function() {
				document.body.setAttribute('data-applied', String(Number(document.body.getAttribute('data-applied') || 0) + 1));
				UI.prototype.addNotification(null, E('p', {}, [ _('Configuration changes applied.') ]), 'info');
			});
		}
	}
});

return UI;
