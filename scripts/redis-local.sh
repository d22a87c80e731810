# Sourced helper: starts a private redis-server on a free loopback port with a pidfile, stops it by pid.
# Installs redis-server from Debian when missing (root or sudo).
redis_local_start() {
  if ! command -v redis-server >/dev/null; then
    echo "redis-server missing: installing the Debian package" >&2
    local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q redis-server >&2
  fi
  REDIS_LOCAL_DIR="${REDIS_LOCAL_DIR:-$(mktemp -d /tmp/peterrec-redis.XXXXXX)}"
  REDIS_LOCAL_PORT="${REDIS_LOCAL_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 6390)}"
  redis-server --port "$REDIS_LOCAL_PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly yes \
    --dir "$REDIS_LOCAL_DIR" --pidfile "$REDIS_LOCAL_DIR/redis.pid" --logfile "$REDIS_LOCAL_DIR/redis.log" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$REDIS_LOCAL_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$REDIS_LOCAL_PORT" ping >/dev/null
  export REDIS_LOCAL_PORT REDIS_LOCAL_DIR
}
redis_local_stop() {
  [[ -f "${REDIS_LOCAL_DIR:-}/redis.pid" ]] && kill "$(cat "$REDIS_LOCAL_DIR/redis.pid")" 2>/dev/null || true
}
