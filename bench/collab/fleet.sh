#!/usr/bin/env bash
# Several-instance realtime benchmark (issue 5): three Tandem instances
# (bench/rtserver on one PostgreSQL document log, Redis between them)
# against three Hocuspocus 4.7.0 instances with @hocuspocus/extension-redis
# 4.7.0, under the same load from bench/loadgen, whose clients of every
# document are spread over the three instances. The instances share core 0
# (taskset), the load generator has core 1; PostgreSQL and Redis are not
# pinned unless DATA_CPU says where.
#
#   bench/collab/fleet.sh [scenario...]     scenarios: hot many (default both)
#
# Environment: HOT_RATES (updates per editor per second in the hot
# document, default "0.2 0.5 1"), MANY_RATES (default "1 2 4"),
# PEER_HOT_RATES and PEER_MANY_RATES (the rates for hocuspocus-redis, whose
# ceiling is lower; default HOT_RATES and MANY_RATES), EDITORS
# (default 500), DOCS (default 2000), DURATION (default 15s), SERVERS
# (default "tandem-yws hocuspocus-redis"), PG (admin DSN, default the local
# server), REDIS_PORT (a private redis-server is started there, default
# 16390), DEBUG_PORT (if set, Tandem instance i serves pprof and /metrics
# on 127.0.0.1:DEBUG_PORT+i, for profiling a run from outside), RTSERVER (a
# prebuilt bench/rtserver to run instead of building the working tree's, to
# compare two versions under the same conditions; LABEL names its results),
# DATA_CPU (a CPU list, e.g. 1: run PostgreSQL's processes and the private
# redis-server there during the runs, beside the load generator, as if the
# data tier had machines of its own as in the seed's deployment; their
# affinity is put back at the end, though not if the script is killed with
# SIGKILL: then taskset -pc 0,1 the postmaster and its children. Default:
# not pinned).
# Results: one JSON line per run in bench/collab/results/fleet-<time>.jsonl.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
scenarios=${*:-hot many}
HOT_RATES=${HOT_RATES:-0.2 0.5 1}
MANY_RATES=${MANY_RATES:-1 2 4}
PEER_HOT_RATES=${PEER_HOT_RATES:-$HOT_RATES}
PEER_MANY_RATES=${PEER_MANY_RATES:-$MANY_RATES}
EDITORS=${EDITORS:-500}
DOCS=${DOCS:-2000}
DURATION=${DURATION:-15s}
SERVERS=${SERVERS:-tandem-yws hocuspocus-redis}
PG=${PG:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
REDIS_PORT=${REDIS_PORT:-16390}
port=18800

[ -d node_modules ] || npm ci --no-audit --no-fund --ignore-scripts
bin=$(mktemp -d)
DATA_CPU=${DATA_CPU:-}
pin=()
[ -n "$DATA_CPU" ] && pin=(taskset -c "$DATA_CPU")
"${pin[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$bin" >"$bin/redis.log" 2>&1 &
redis_pid=$!
pg_pin() { # CPU list: the PostgreSQL server's processes; backends started later inherit the postmaster's
	local pm p
	pm=$(head -1 "$(psql "$PG" -Atc 'SHOW data_directory')/postmaster.pid")
	for p in $pm $(pgrep -P "$pm"); do taskset -pc "$1" "$p" >/dev/null 2>&1 || true; done
}
pg_cpus=
if [ -n "$DATA_CPU" ]; then
	pg_cpus=$(taskset -pc "$(head -1 "$(psql "$PG" -Atc 'SHOW data_directory')/postmaster.pid")" | sed 's/.*: //')
	pg_pin "$DATA_CPU"
fi
trap 'kill $redis_pid 2>/dev/null; rm -rf "$bin"; [ -z "$pg_cpus" ] || pg_pin "$pg_cpus"' EXIT
(cd "$root" && go build -o "$bin/rtserver" ./bench/rtserver && go build -o "$bin/loadgen" ./bench/loadgen)
[ -n "${RTSERVER:-}" ] && cp "$RTSERVER" "$bin/rtserver"
mkdir -p results
out="results/fleet-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
ulimit -n 20000

pids=
addrs=
run=0
start_fleet() { # name
	pids= addrs=
	run=$((run + 1))
	local db="tandem_bench_$$_$run"
	if [[ $1 == tandem-* ]]; then
		psql "$PG" -qc "CREATE DATABASE $db" >/dev/null
	fi
	local dsn=${PG%/*}/$db?sslmode=disable
	for i in 1 2 3; do
		port=$((port + 1))
		case $1 in
		tandem-*)
			local debug=
			[ -n "${DEBUG_PORT:-}" ] && debug="-debug 127.0.0.1:$((DEBUG_PORT + i))"
			# shellcheck disable=SC2086
			taskset -c 0 "$bin/rtserver" -addr 127.0.0.1:$port -pg "$dsn" -redis "redis://127.0.0.1:$REDIS_PORT/0" -redis-prefix "bench$run:" $debug >"$bin/server$i.log" 2>&1 &
			;;
		hocuspocus-redis) BENCH_RUN=$run taskset -c 0 node hocuspocus-redis.mjs $port "$REDIS_PORT" >"$bin/server$i.log" 2>&1 & ;;
		esac
		pids="$pids${pids:+,}$!"
		addrs="$addrs${addrs:+,}127.0.0.1:$port"
		for _ in $(seq 100); do
			(exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
			sleep 0.1
		done
	done
}
stop_fleet() {
	for p in ${pids//,/ }; do kill "$p" 2>/dev/null || true; done
	for p in ${pids//,/ }; do wait "$p" 2>/dev/null || true; done
	psql "$PG" -qc "DROP DATABASE IF EXISTS tandem_bench_$$_$run" >/dev/null 2>&1 || true
}
gen() { # name, loadgen args...
	local name=$1
	shift
	local path=/collab dialect=yws
	case $name in
	tandem-hp) dialect=hp ;;
	hocuspocus-redis) path= dialect=hp ;;
	esac
	local label=$name
	[[ $name == tandem-* && -n ${LABEL:-} ]] && label=$LABEL
	taskset -c 1 "$bin/loadgen" -addr "$addrs" -path "$path" -dialect $dialect -pid "$pids" -label "$label" "$@" | tee -a "$out"
}

for sc in $scenarios; do
	for s in $SERVERS; do
		case $sc in
		hot)
			rates=$HOT_RATES
			[ "$s" = hocuspocus-redis ] && rates=$PEER_HOT_RATES
			for r in $rates; do
				start_fleet "$s"
				gen "$s" -mode load -docs 1 -clients "$EDITORS" -rate "$r" -duration "$DURATION" || true
				stop_fleet
			done
			;;
		many)
			rates=$MANY_RATES
			[ "$s" = hocuspocus-redis ] && rates=$PEER_MANY_RATES
			for r in $rates; do
				start_fleet "$s"
				gen "$s" -mode load -docs "$DOCS" -clients 5 -rate "$r" -duration "$DURATION" || true
				stop_fleet
			done
			;;
		esac
	done
done
echo "results in bench/collab/$out" >&2
