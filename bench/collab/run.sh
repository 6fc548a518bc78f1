#!/usr/bin/env bash
# Side-by-side realtime benchmark: Tandem, Hocuspocus 4.7.0 (no extensions)
# and y-websocket-server (the server bundled in y-websocket 2.1.0) under the
# same load from bench/loadgen. Each server runs pinned to core 0, the load
# generator to core 1, a fresh server process per scenario.
#
#   bench/collab/run.sh [scenario...]     scenarios: load idle join (default all)
#
# Environment: RATES (updates per client per second, default "2 4 10"),
# DOCS (default 1000), CLIENTS (default 5), DURATION (default 20s),
# IDLE_DOCS (default 3800), JOINERS (default 150), DOCSIZE (default 20 MiB),
# SERVERS (default "tandem-yws tandem-hp yws hocuspocus").
# Results: one JSON line per run in bench/collab/results/<time>.jsonl.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
root=$(cd ../.. && pwd)
scenarios=${*:-load idle join}
RATES=${RATES:-2 4 10}
DOCS=${DOCS:-1000}
CLIENTS=${CLIENTS:-5}
DURATION=${DURATION:-20s}
IDLE_DOCS=${IDLE_DOCS:-3800}
JOINERS=${JOINERS:-150}
DOCSIZE=${DOCSIZE:-20971520}
SERVERS=${SERVERS:-tandem-yws tandem-hp yws hocuspocus}
port=18700

[ -d node_modules ] || npm ci --no-audit --no-fund --ignore-scripts
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
(cd "$root" && go build -o "$bin/rtserver" ./bench/rtserver && go build -o "$bin/loadgen" ./bench/loadgen)
mkdir -p results
out="results/$(date -u +%Y%m%dT%H%M%SZ).jsonl"
ulimit -n 20000

server_pid=
start_server() { # name
	port=$((port + 1))
	case $1 in
	tandem-*) taskset -c 0 "$bin/rtserver" -addr 127.0.0.1:$port >"$bin/server.log" 2>&1 & ;;
	yws) HOST=127.0.0.1 PORT=$port taskset -c 0 node node_modules/y-websocket/bin/server.cjs >"$bin/server.log" 2>&1 & ;;
	hocuspocus) taskset -c 0 node hocuspocus.mjs $port >"$bin/server.log" 2>&1 & ;;
	esac
	server_pid=$!
	for _ in $(seq 100); do
		(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && return 0
		sleep 0.1
	done
	echo "server $1 did not start:" >&2
	cat "$bin/server.log" >&2
	return 1
}
stop_server() {
	kill "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
}
gen() { # name, loadgen args...
	local name=$1
	shift
	local path=/collab dialect=yws
	case $name in
	tandem-hp) dialect=hp ;;
	yws) path= ;;
	hocuspocus) path= dialect=hp ;;
	esac
	taskset -c 1 "$bin/loadgen" -addr 127.0.0.1:$port -path "$path" -dialect $dialect -pid "$server_pid" -label "$name" "$@" | tee -a "$out"
}

for sc in $scenarios; do
	for s in $SERVERS; do
		case $sc in
		load)
			for r in $RATES; do
				start_server "$s"
				gen "$s" -mode load -docs "$DOCS" -clients "$CLIENTS" -rate "$r" -duration "$DURATION" || true
				stop_server
			done
			;;
		idle)
			start_server "$s"
			gen "$s" -mode idle -docs "$IDLE_DOCS" -clients "$CLIENTS" || true
			stop_server
			;;
		join)
			start_server "$s"
			gen "$s" -mode join -joiners "$JOINERS" -docsize "$DOCSIZE" || true
			stop_server
			;;
		esac
	done
done
echo "results in bench/collab/$out" >&2
