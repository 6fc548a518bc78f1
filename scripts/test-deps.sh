#!/usr/bin/env bash
# Makes sure everything the test suite needs is present and running:
# Go modules, local services, and (as they are added) npm packages,
# an S3 server and Chromium. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'test-deps: %s\n' "$*" >&2; }

go mod download

# PostgreSQL
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
	log "starting PostgreSQL"
	pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
	for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
# The replica tests make a streaming replica of this server with
# pg_basebackup, which needs a replication connection from localhost.
hba="$(psql -h 127.0.0.1 -p 5432 -U postgres -Atc 'SHOW hba_file' 2>/dev/null || true)"
if [ -n "$hba" ] && ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
	log "allowing local replication connections in $hba"
	printf 'host replication all 127.0.0.1/32 trust\n' >>"$hba"
	psql -h 127.0.0.1 -p 5432 -U postgres -qAtc 'SELECT pg_reload_conf()' >/dev/null
fi
# Redis
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
	log "starting Redis"
	redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
# RabbitMQ
if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
	log "starting RabbitMQ"
	rabbitmq-server -detached || true
	for _ in $(seq 1 60); do (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && break; sleep 1; done
fi
./web/test-deps.sh

# The Node Yjs clients that the collab, http and server tests share,
# installed here from their lock file before go test runs those packages in
# parallel (a test installs them on first use too, under a lock:
# tandemtest.NPMInstall).
dir=collab/testdata/js
if [[ ! -f $dir/node_modules/.package-lock.json || $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
	log "npm ci in $dir"
	(cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
