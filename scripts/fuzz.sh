#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME, one after another: `go test -fuzz`
# takes one target per package per run. The seed corpora under each
# package's testdata/fuzz/ run on every plain `go test` as well.
#
#   FUZZTIME=60s ./scripts/fuzz.sh          # what `make fuzz` runs
#   FUZZTIME=2s QUIET=1 ./scripts/fuzz.sh   # what `make test` runs
#   FUZZ_ONLY=SIP ./scripts/fuzz.sh         # targets whose name matches
#
# One fuzzing worker (FUZZPARALLEL) by default: the suite runs on small
# machines next to other work. A crash fails the run; the failing input is
# written under the package's testdata/fuzz/<target>/ by go test.
set -euo pipefail
cd "$(dirname "$0")/.."

GO="${GO:-go}"
# The PostgreSQL-backed targets would each start PostgreSQL and Redis twice
# (coordinator and worker): share one pair for the whole run instead.
if [ -z "${DATABASE_URL:-}" ] || [ -z "${REDIS_URL:-}" ]; then
	exec "$GO" run ./cmd/testservers "$PWD/scripts/fuzz.sh" "$@"
fi
FUZZTIME="${FUZZTIME:-60s}"
FUZZPARALLEL="${FUZZPARALLEL:-1}"
FUZZ_ONLY="${FUZZ_ONLY:-.}"
QUIET="${QUIET:-}"

# package, target, -fuzzminimizetime. Minimising a new input re-runs it
# many times; for the live-chat target, whose coverage moves with goroutine
# scheduling, that would take most of the run, so it minimises once.
targets=(
	"./callcenter FuzzParseSDP 5s"
	"./callcenter FuzzSIPRequest 5s"
	"./callcenter FuzzRTPPacket 5s"
	"./callcenter FuzzParseINFODigit 5s"
	"./callcenter FuzzDecodeWAV 5s"
	"./callcenter FuzzConvertWAV 5s"
	"./livechat FuzzClientFrames 1x"
	"./internal/web FuzzDecodeJSON 5s"
	"./forum FuzzAskForm 5s"
	"./forum FuzzRenderMarkdown 5s"
	"./moderation/feedback FuzzExportCSV 5s"
	"./moderation FuzzNormalizeCode 5s"
	"./internal/vntext FuzzFold 5s"
	"./internal/vntext FuzzSnippet 5s"
	"./internal/contact FuzzPhone 5s"
	"./internal/contact FuzzEmail 5s"
)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=()
summary=()
for entry in "${targets[@]}"; do
	read -r pkg target minimize <<<"$entry"
	[[ "$target" =~ $FUZZ_ONLY ]] || continue
	[ -n "$QUIET" ] || echo "== $target ($pkg, $FUZZTIME)"
	rerun=""
	for attempt in 1 2; do
		status=0
		if [ -n "$QUIET" ]; then
			"$GO" test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$minimize" \
				-parallel "$FUZZPARALLEL" "$pkg" >"$log" 2>&1 || status=$?
		else
			"$GO" test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$minimize" \
				-parallel "$FUZZPARALLEL" "$pkg" 2>&1 | tee "$log" || status=$?
		fi
		# go test -fuzz can end a short run with a bare "context deadline
		# exceeded" and no failing input, when the time runs out while it is
		# minimising a new corpus entry: the fuzzer's own deadline, not a
		# crash. That run is made once more; a crash always writes its input
		# ("Failing input written to") and fails at once.
		if [ "$status" -ne 0 ] && [ "$attempt" -eq 1 ] && grep -q '^    context deadline exceeded$' "$log" &&
			! grep -qE 'Failing input written|panic:|testing\.go:[0-9]+: |_test\.go:[0-9]+: ' "$log"; then
			rerun=" (run twice: go's fuzz deadline error, no failing input)"
			continue
		fi
		break
	done
	# The last progress line: "fuzz: elapsed: 60s, execs: N (r/sec), new interesting: n (total: t)",
	# or, when the run ended while replaying the corpus, "gathering baseline coverage: i/n".
	last=$(grep -E '^fuzz: elapsed: .*execs: ' "$log" | tail -n 1 || true)
	if [ -n "$last" ]; then
		figures=$(sed -nE 's/.*execs: ([0-9]+).*new interesting: ([0-9]+).*/\1 execs, \2 new corpus entries/p' <<<"$last")
	else
		figures=$(grep -oE 'baseline coverage: [0-9]+/[0-9]+' "$log" | tail -n 1 | sed 's/^/corpus replay only: /' || true)
	fi
	result=ok
	if [ "$status" -ne 0 ]; then
		result=FAILED
		failed+=("$target")
		[ -z "$QUIET" ] || cat "$log"
	fi
	summary+=("$(printf '%-20s %-22s %-6s %s%s' "$target" "$pkg" "$result" "${figures:-no figures}" "$rerun")")
done

echo "fuzzing, $FUZZTIME per target:"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz targets failed: ${failed[*]} (the failing inputs are under each package's testdata/fuzz/)" >&2
	exit 1
fi
