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
dotnet test PeterRec.sln -c Release --nologo --logger "console;verbosity=normal" "$@"
