// rpcd ucode plugin: ubus object `wanpulse`, from the daemon's status and history files.
//   ubus call wanpulse status
//   ubus call wanpulse interface '{"name":"wan"}'
//   ubus call wanpulse history              (the graph data of luci-app-wanpulse)
//   ubus call wanpulse check_config '{"sections":[{".type":"globals",".name":"globals",…}]}'
// rpcd loads every file in /usr/share/rpcd/ucode/ once at its start (so the package restarts
// rpcd after install) and calls these handlers in its own process: status, interface and
// history only read small tmpfs files and never block on the daemon. check_config renders the
// sections it is given (LuCI's staged /etc/config/wanpulse) into a private directory beside
// copies of mwan3's and netifd's files and runs `wanpulse check-config` on it, so a config
// the daemon would refuse is caught before it is committed.
// Written in the subset of ucode that is also plain JavaScript (no `for … in`, which walks
// values in ucode but keys in JavaScript), so the tests can run it under Node.js.
'use strict';

import { readfile, writefile, mkdir, unlink, rmdir, popen } from 'fs';

const RUN_DIR = '/var/run/wanpulse';
const STATUS_FILE = RUN_DIR + '/status.json';
const HISTORY_FILE = RUN_DIR + '/history.json';
const CONFIG_DIR = '/etc/config';
const WANPULSE = '/usr/sbin/wanpulse';
const CHECK_DIR_PREFIX = '/tmp/wanpulse-check.';
const MAX_SECTIONS = 64;
const MAX_VALUE = 4096;
let check_serial = 0;

function read_json(path) {
	const text = readfile(path);
	if (text == null || length(text) == 0)
		return null;
	let value = null;
	try {
		value = json(text);
	}
	catch (e) {
		value = null;
	}
	return (type(value) == 'object') ? value : null;
}

// The status file, parsed; null when it is missing or unreadable (daemon never ran, or torn).
function read_status() {
	return read_json(STATUS_FILE);
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

// UCI quoting: one single-quoted word, a ' inside written as '\'' (as `uci export` does).
function quote(value) {
	return "'" + join("'\\''", split(value, "'")) + "'";
}

const NAME = /^[A-Za-z0-9_]+$/;

// The staged config (LuCI's uci sections) as UCI text; a string starting with 'error: ' when
// a name or value cannot be written safely.
function render_uci(sections) {
	let out = '';
	if (length(sections) > MAX_SECTIONS)
		return 'error: too many sections';
	for (let i = 0; i < length(sections); i++) {
		const s = sections[i];
		if (type(s) != 'object' || type(s['.type']) != 'string' || !match(s['.type'], NAME))
			return 'error: section ' + i + ' has no valid type';
		const name = s['.name'];
		const anonymous = s['.anonymous'] == true || type(name) != 'string';
		if (!anonymous && !match(name, NAME))
			return 'error: section name is not valid';
		out += 'config ' + s['.type'] + (anonymous ? '' : ' ' + quote(name)) + '\n';
		const keys_ = keys(s);
		for (let k = 0; k < length(keys_); k++) {
			const key = keys_[k];
			if (substr(key, 0, 1) == '.')
				continue;
			if (!match(key, NAME))
				return 'error: option name is not valid';
			const v = s[key];
			const items = (type(v) == 'array') ? v : [ v ];
			for (let j = 0; j < length(items); j++) {
				const item = items[j];
				if (type(item) != 'string' && type(item) != 'int' && type(item) != 'double')
					return 'error: option ' + key + ' has a value that is not text';
				const text = '' + item;
				if (length(text) > MAX_VALUE || index(text, '\n') >= 0)
					return 'error: option ' + key + ' has a value that is too long or spans lines';
				out += '\t' + ((type(v) == 'array') ? 'list ' : 'option ') + key + ' ' + quote(text) + '\n';
			}
		}
		out += '\n';
	}
	return out;
}

// Runs `wanpulse check-config` on the given sections with the router's mwan3 and network files.
function check_sections(sections) {
	const text = render_uci(sections);
	if (substr(text, 0, 7) == 'error: ')
		return { ok: false, code: 64, output: text };
	let dir = null;
	for (let attempt = 0; attempt < 10 && dir == null; attempt++) {
		const candidate = CHECK_DIR_PREFIX + time() + '.' + (check_serial++);
		if (mkdir(candidate, 448)) // 0700: the copy may hold the MQTT password
			dir = candidate;
	}
	if (dir == null)
		return { ok: false, code: 70, output: 'error: cannot create a directory for the check' };
	const copies = [ 'mwan3', 'network' ];
	writefile(dir + '/wanpulse', text);
	for (let i = 0; i < length(copies); i++) {
		const other = readfile(CONFIG_DIR + '/' + copies[i]);
		if (other != null)
			writefile(dir + '/' + copies[i], other);
	}
	let output = '';
	let code = 70;
	const proc = popen(WANPULSE + ' check-config --config-dir ' + dir + ' 2>&1', 'r');
	if (proc) {
		output = proc.read('all') || '';
		code = proc.close();
	}
	else {
		output = 'error: cannot run ' + WANPULSE;
	}
	unlink(dir + '/wanpulse');
	for (let i = 0; i < length(copies); i++)
		unlink(dir + '/' + copies[i]);
	rmdir(dir);
	// messages name the files the user knows, not the private copies
	output = join(CONFIG_DIR, split(output, dir));
	return { ok: code == 0, code: code, output: output };
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

	history: {
		call: function(request) {
			const history = read_json(HISTORY_FILE);
			if (history == null)
				return { available: false, uplinks: [], transitions: [] };
			history.available = true;
			return history;
		}
	},

	check_config: {
		args: { sections: [] },
		call: function(request) {
			const sections = request.args.sections;
			if (type(sections) != 'array')
				return request.error(UBUS_STATUS_INVALID_ARGUMENT);
			return check_sections(sections);
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
