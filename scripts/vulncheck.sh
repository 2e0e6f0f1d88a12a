#!/usr/bin/env bash
# govulncheck over the whole module against the Go vulnerability database.
#
# The database comes from the module golang.org/x/vulndb (its data/osv
# folder, made into a database with its own indexdb command), fetched
# through the Go module proxy like any dependency, so the check needs no
# access to vuln.go.dev and gives the same answer for the same pin. To see
# newer reports, raise VULNDB to a newer pseudo-version of x/vulndb.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VULNDB=${VULNDB:-v0.0.0-20261105234957-e22db6528018}
GOVULNCHECK=${GOVULNCHECK:-v1.9.0}

cache=${XDG_CACHE_HOME:-$HOME/.cache}/rundbrief/vulndb-$VULNDB
if [ ! -f "$cache/index/db.json" ]; then
	echo "vulncheck: building the vulnerability database from golang.org/x/vulndb@$VULNDB" >&2
	src=$("$GO" mod download -json "golang.org/x/vulndb@$VULNDB" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	if [ -z "$src" ] || [ ! -d "$src/data/osv" ]; then
		echo "vulncheck: golang.org/x/vulndb@$VULNDB has no data/osv folder" >&2
		exit 1
	fi
	rm -rf "$cache.tmp"
	GOFLAGS=-mod=mod "$GO" run "golang.org/x/vulndb/cmd/indexdb@$VULNDB" -vulns "$src/data/osv" -out "$cache.tmp"
	rm -rf "$cache"
	mv "$cache.tmp" "$cache"
fi
echo "vulncheck: $("$GO" version), database golang.org/x/vulndb@$VULNDB" >&2
exec "$GO" run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK" -db "file://$cache" ./...
