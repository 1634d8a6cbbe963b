# Shared by the mwan3 simulator's recording executables. Everything is found relative to the
# script's own directory (<sim>/bin), because hotplug-call runs with `env -i`: no variable can
# tell it where the simulator lives. Layout:
#   <sim>/calls.jsonl            one JSON line per call / tracker event, in order
#   <sim>/run/mwan3/iface_state  what 15-mwan3 writes
#   <sim>/run/mwan3track/<if>/   what mwan3track writes
#   <sim>/state/                 the fake kernel/procd state (conntrack table, ipsets, procd pids)
SIM=$(cd "$(dirname "$0")/.." && pwd)
CALLS="$SIM/calls.jsonl"

jstr() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	s=${s//$'\n'/\\n}
	s=${s//$'\t'/\\t}
	printf '"%s"' "$s"
}

# The environment this process was exec'd with (not bash's additions): proves `env -i`.
env_keys() {
	local first=1 k
	printf '['
	while IFS= read -r -d '' kv; do
		k=${kv%%=*}
		[ $first -eq 1 ] || printf ','
		first=0
		jstr "$k"
	done < /proc/$$/environ
	printf ']'
}

# record <cmd> [extra json fields (already formatted, leading comma)] -- argv...
record() {
	local cmd=$1 extra=$2 first=1 a line
	shift 2
	line="{\"cmd\":$(jstr "$cmd"),\"argv\":["
	for a in "$@"; do
		[ $first -eq 1 ] || line+=','
		first=0
		line+=$(jstr "$a")
	done
	line+="]$extra,\"envKeys\":$(env_keys)}"
	printf '%s\n' "$line" >> "$CALLS"
}
