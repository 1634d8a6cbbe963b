// rpcd ucode plugin: ubus object `wanpulse`, read-only, from the daemon's status file.
//   ubus call wanpulse status
//   ubus call wanpulse interface '{"name":"wan"}'
// rpcd loads every file in /usr/share/rpcd/ucode/ once at its start (so the package restarts
// rpcd after install) and calls these handlers in its own process: they only read a small
// tmpfs file and never block on the daemon.
// Written in the subset of ucode that is also plain JavaScript (no `for … in`, which walks
// values in ucode but keys in JavaScript), so the tests can run it under Node.js.
'use strict';

import { readfile } from 'fs';

const RUN_DIR = '/var/run/wanpulse';
const STATUS_FILE = RUN_DIR + '/status.json';

// The status file, parsed; null when it is missing or unreadable (daemon never ran, or torn).
function read_status() {
	const text = readfile(STATUS_FILE);
	if (text == null || length(text) == 0)
		return null;
	let status = null;
	try {
		status = json(text);
	}
	catch (e) {
		status = null;
	}
	return (type(status) == 'object') ? status : null;
}

// Whether the pid that wrote the file is still a wanpulse process (pids are reused).
function daemon_alive(status) {
	if (type(status.pid) != 'int' && type(status.pid) != 'double')
		return false;
	const cmdline = readfile('/proc/' + status.pid + '/cmdline');
	return cmdline != null && index(cmdline, 'wanpulse') >= 0;
}

// Seconds since the daemon last wrote the file (its epoch ms clock against ours).
function age_s(status) {
	if (type(status.updatedAt) != 'int' && type(status.updatedAt) != 'double')
		return null;
	return time() - int(status.updatedAt / 1000);
}

function not_running() {
	return {
		running: false,
		error: 'no status: wanpulse is not running or has not written ' + STATUS_FILE + ' yet'
	};
}

function find_uplink(status, name) {
	const uplinks = (type(status.uplinks) == 'array') ? status.uplinks : [];
	for (let i = 0; i < length(uplinks); i++) {
		if (type(uplinks[i]) == 'object' && uplinks[i].iface == name)
			return uplinks[i];
	}
	return null;
}

const methods = {
	status: {
		call: function(request) {
			const status = read_status();
			if (status == null)
				return not_running();
			return {
				running: daemon_alive(status),
				age_s: age_s(status),
				version: status.version,
				pid: status.pid,
				backend: status.backend,
				startedAt: status.startedAt,
				updatedAt: status.updatedAt,
				uplinks: status.uplinks,
				lastEvent: status.lastEvent,
				mqtt: status.mqtt
			};
		}
	},

	interface: {
		args: { name: 'name' },
		call: function(request) {
			const name = request.args.name;
			if (type(name) != 'string' || length(name) == 0)
				return request.error(UBUS_STATUS_INVALID_ARGUMENT);
			const status = read_status();
			if (status == null)
				return not_running();
			const uplink = find_uplink(status, name);
			if (uplink == null)
				return request.error(UBUS_STATUS_NOT_FOUND);
			return {
				running: daemon_alive(status),
				age_s: age_s(status),
				uplink: uplink
			};
		}
	}
};

return { wanpulse: methods };
