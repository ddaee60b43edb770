#!/usr/bin/env bash
# Runs govulncheck on the module and fails (exit 3) when our code calls a
# function with a known vulnerability, in a dependency or in the standard
# library of the Go toolchain in use. Vulnerabilities in code we import
# but never call are listed, not failed on.
#
# govulncheck reads its database from vuln.go.dev, which build machines
# often cannot reach. The same reports ship in the golang.org/x/vulndb
# module (data/osv/*.json), which the Go module proxy serves; this script
# downloads a pinned version of it and indexes it with vulndb's own
# cmd/indexdb into the layout govulncheck's file:// database expects
# (index/db.json, index/modules.json, ID/GO-*.json). The result is cached.
#
#   ./scripts/govulncheck.sh                         # pinned offline database
#   VULNDB=https://vuln.go.dev ./scripts/govulncheck.sh   # the live one
#
# Bump VULNDB_VERSION (go list -m golang.org/x/vulndb@latest) to pick up
# newer reports, and GOVULNCHECK_VERSION (golang.org/x/vuln) with it.
set -euo pipefail
cd "$(dirname "$0")/.."

GO="${GO:-go}"
GOVULNCHECK_VERSION="${GOVULNCHECK_VERSION:-v1.9.0}"
VULNDB_VERSION="${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}"
db="${VULNDB:-}"

if [ -z "$db" ]; then
	cache="${XDG_CACHE_HOME:-$HOME/.cache}/doithoai/vulndb-$VULNDB_VERSION"
	if [ ! -f "$cache/index/db.json" ]; then
		echo "govulncheck: building the vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION (once)"
		work=$(mktemp -d)
		# Outside this module, so go.mod and go.sum stay as they are.
		src=$(cd "$work" && "$GO" mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" |
			sed -nE 's/^[[:space:]]*"Dir": "(.*)",?$/\1/p')
		if [ -z "$src" ] || [ ! -d "$src/data/osv" ]; then
			echo "govulncheck: golang.org/x/vulndb@$VULNDB_VERSION has no data/osv directory; cannot build the database" >&2
			exit 1
		fi
		(cd "$work" && "$GO" run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$work/db")
		mkdir -p "$(dirname "$cache")"
		rm -rf "$cache"
		mv "$work/db" "$cache"
		rm -rf "$work"
	fi
	db="file://$cache"
fi

# Installed, not `go run`: go run turns govulncheck's exit status 3
# (vulnerable code is called) into 1.
bin="${XDG_CACHE_HOME:-$HOME/.cache}/doithoai/govulncheck-$GOVULNCHECK_VERSION"
if [ ! -x "$bin/govulncheck" ]; then
	(cd "${TMPDIR:-/tmp}" && GOBIN="$bin" "$GO" install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION")
fi
echo "govulncheck $GOVULNCHECK_VERSION, $("$GO" env GOVERSION), database $db"
exec "$bin/govulncheck" -db "$db" ./...
