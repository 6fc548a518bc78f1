#!/usr/bin/env bash
# Builds Tandem's web app into web/dist, which `go build ./cmd/tandem`
# embeds (package web). Needs Node.js 20+ and npm; the npm registry (or an
# npm cache holding the locked packages).
#
#   web/build.sh          install the locked packages if needed, build if the
#                         sources changed since the last build
#   web/build.sh --force  build even if nothing changed
#
# node_modules is reinstalled (npm ci) when it is missing or older than
# package-lock.json; the build is skipped when a hash of the sources, the
# lock file and the build configuration matches the one recorded in
# dist/.build-hash by the last build.
set -euo pipefail
cd "$(dirname "$0")"

force=false
[[ ${1:-} == --force ]] && force=true

for tool in node npm; do
	if ! command -v "$tool" >/dev/null; then
		echo "web/build.sh: $tool is not installed; the web app needs Node.js 20 or later with npm" >&2
		exit 1
	fi
done

# npm ci when node_modules is missing or does not match the lock file.
# npm records what it installed in node_modules/.package-lock.json.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
	echo "web/build.sh: installing npm packages (npm ci)" >&2
	npm ci --no-audit --no-fund --loglevel=error
fi
# A go.mod makes node_modules a module of its own, which go's ./... skips:
# it never walks the npm packages or compiles Go files one of them ships.
[[ -f node_modules/go.mod ]] || printf 'module ignore/node_modules\n' >node_modules/go.mod

hash=$(cat package.json package-lock.json tsconfig.json vite.config.ts index.html \
	$(find src public -type f | LC_ALL=C sort) | sha256sum | cut -d' ' -f1)
if ! $force && [[ -f dist/index.html && -f dist/.build-hash && $(cat dist/.build-hash) == "$hash" ]]; then
	echo "web/build.sh: web/dist is up to date" >&2
	exit 0
fi

echo "web/build.sh: type-checking and building web/dist" >&2
npx --no-install tsc --noEmit -p .
npx --no-install vite build --logLevel warn
echo "$hash" >dist/.build-hash
echo "web/build.sh: built web/dist ($(du -sh dist | cut -f1))" >&2
