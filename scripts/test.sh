#!/usr/bin/env bash
# The README's test command. Starts a private redis-server for the integration tests (the Kafka
# broker is librdkafka's mock cluster, started in-process by the tests), runs every test, stops Redis.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source "$root/scripts/redis-local.sh"
redis_local_start
trap redis_local_stop EXIT
export PETERREC_TEST_REDIS="127.0.0.1:$REDIS_LOCAL_PORT"
jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
if [[ -f "$jemalloc" ]]; then export LD_PRELOAD="$jemalloc" MALLOC_CONF="dirty_decay_ms:-1,muzzy_decay_ms:-1"; fi
log="$(mktemp /tmp/peterrec-test.XXXXXX.log)"
set +e
dotnet test PeterRec.sln -c Release --nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# One closing line over all test projects (vstest prints one summary per project).
passed=$( (grep -E '^\s+Passed:\s+[0-9]+' "$log" || true) | awk '{s+=$2} END {print s+0}')
failed=$( (grep -E '^\s+Failed:\s+[0-9]+' "$log" || true) | awk '{s+=$2} END {print s+0}')
skipped=$( (grep -E '^\s+Skipped:\s+[0-9]+' "$log" || true) | awk '{s+=$2} END {print s+0}')
rm -f "$log"
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
