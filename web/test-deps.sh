#!/usr/bin/env bash
# Makes sure the web app's tests can run: Debian's Chromium for the browser
# tests, and the pinned npm packages of the app and of the browser test
# tooling (installed from their lock files). Safe to run repeatedly;
# scripts/test-deps.sh calls it.
#
# Playwright never downloads a browser here: the tests drive
# /usr/bin/chromium (override with CHROMIUM=/path).
set -euo pipefail
cd "$(dirname "$0")"

log() { printf 'web/test-deps: %s\n' "$*" >&2; }

chromium=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
	if [[ $chromium != /usr/bin/chromium ]]; then
		log "CHROMIUM=$chromium is not an executable"
		exit 1
	fi
	log "installing Chromium (apt-get install chromium)"
	if [[ $(id -u) -ne 0 ]]; then
		sudo=sudo
	else
		sudo=
	fi
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

for tool in node npm; do
	if ! command -v "$tool" >/dev/null; then
		log "$tool is not installed; the web app and its tests need Node.js 20 or later with npm"
		exit 1
	fi
done

# npm ci when node_modules is missing or older than the lock file.
install() {
	local dir=$1
	if [[ ! -f $dir/node_modules/.package-lock.json || $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
		log "npm ci in web/$dir"
		(cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
	fi
	# go's ./... skips a directory holding another module (see build.sh).
	[[ -f $dir/node_modules/go.mod ]] || printf 'module ignore/node_modules\n' >"$dir/node_modules/go.mod"
}
install .
install testdata/e2e
