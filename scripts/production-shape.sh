#!/usr/bin/env bash
# The production shape on this machine (Debian 12, as root): PostgreSQL and Redis of their
# own, migrations, gunicorn with the production configuration, the mail sender and the task
# worker, then a wait for /healthz. For load tests (tests/load/) and for trying a release;
# a real installation follows the README's "Production deployment" with systemd units.
#
#   scripts/production-shape.sh start     # idempotent: starts only what is not running
#   scripts/production-shape.sh status    # each process, and what /healthz answers
#   scripts/production-shape.sh stop
#   scripts/production-shape.sh env       # prints the env file, to `. "$(… env)"` it
#
# Settings (environment): QAPORTAL_SHAPE_DIR (run folder, default /tmp/qaportal-shape),
# SHAPE_HTTP_PORT (8400), SHAPE_PG_PORT (55432), SHAPE_REDIS_PORT (56379), SHAPE_WORKERS (4).
# Any other QAPORTAL_* variable set when `start` runs goes into the env file after the
# defaults (e.g. QAPORTAL_MAIL_HOST for a real SMTP relay; without one, mail goes to a local
# SMTP sink that logs it); the database, Redis, secret, base URL and instance are the shape's.
# So run `start` from a shell that has not loaded another shape's env file. Everything lives in the run folder: data, secret key, env file, pid files
# and logs/. `stop` keeps the data; delete the folder to start from nothing.
#
# The portal runs as in production (QAPORTAL_ENV=production: secure cookies, HSTS, an https
# base URL) behind an imagined TLS proxy: QAPORTAL_PROXY_FIX=1 trusts one hop of
# X-Forwarded-Proto/-For/-Host, so a client on plain HTTP that sends what the proxy would
# (X-Forwarded-Proto: https) is served as over TLS. Nothing is weakened for plain HTTP.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=${QAPORTAL_SHAPE_DIR:-/tmp/qaportal-shape}
HTTP_PORT=${SHAPE_HTTP_PORT:-8400}
PG_PORT=${SHAPE_PG_PORT:-55432}
REDIS_PORT=${SHAPE_REDIS_PORT:-56379}
SMTP_PORT=${SHAPE_SMTP_PORT:-58025}
WORKERS=${SHAPE_WORKERS:-4}
VENV=${SHAPE_VENV:-$ROOT/.venv}
ENV_FILE=$RUN/qaportal.env
SHAPE_OWN="ENV|SECRET_KEY|DATABASE_URL|BASE_URL|INSTANCE_PATH|PROXY_FIX|QUEUE_URL|CACHE_URL"
SHAPE_OWN="$SHAPE_OWN|RATELIMIT_STORAGE_URI|SHAPE_DIR|TEST_DATABASE_URL|LOAD_DIR"
LOGS=$RUN/logs

say() { echo "==> $*"; }
as_postgres() { runuser -u postgres -- "$@"; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

alive() { # alive NAME: the process of pid file NAME.pid runs
    local pid_file=$RUN/$1.pid
    [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

install_packages() {
    local missing=()
    [ -n "$(pg_bin)" ] || missing+=(postgresql)
    command -v redis-server >/dev/null || missing+=(redis-server)
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]} (Debian packages)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
    fi
    if ! "$VENV/bin/python" -c 'import redis, gunicorn, qaportal' 2>/dev/null; then
        say "installing qaportal[production] into $VENV"
        "$VENV/bin/python" -m pip install --quiet -e "$ROOT[production]"
    fi
}

start_postgres() {
    local bin data=$RUN/pg/data
    bin=$(pg_bin)
    mkdir -p "$RUN/pg"
    chown postgres:postgres "$RUN/pg"
    if [ ! -f "$data/PG_VERSION" ]; then
        say "creating a PostgreSQL cluster in $data"
        as_postgres "$bin/initdb" -D "$data" -U postgres --auth-local=trust \
            --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        say "PostgreSQL already running on port $PG_PORT"
    else
        say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
        touch "$LOGS/postgresql.log"
        chown postgres:postgres "$LOGS/postgresql.log"
        # Durable settings (fsync stays on): lost survey answers are what the load test counts.
        as_postgres "$bin/pg_ctl" -D "$data" -l "$LOGS/postgresql.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $RUN/pg -c max_connections=200 -c shared_buffers=256MB" \
            start >/dev/null
    fi
    local password
    password=$(cat "$RUN/pg-password")
    if ! as_postgres "$bin/psql" -h "$RUN/pg" -p "$PG_PORT" -U postgres -tAc \
        "SELECT 1 FROM pg_roles WHERE rolname = 'qaportal'" | grep -q 1; then
        as_postgres "$bin/psql" -h "$RUN/pg" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -q \
            -c "CREATE ROLE qaportal LOGIN PASSWORD '$password'" \
            -c "CREATE DATABASE qaportal OWNER qaportal"
    fi
}

start_redis() {
    if alive redis; then
        say "Redis already running on port $REDIS_PORT"
        return
    fi
    say "starting Redis on 127.0.0.1:$REDIS_PORT (no persistence)"
    mkdir -p "$RUN/redis"
    # No persistence: the cache and rate-limit counters may be lost, and a lost queue entry
    # is put back by the worker's keeper from the job's row in PostgreSQL.
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
        --dir "$RUN/redis" --daemonize yes --pidfile "$RUN/redis.pid" \
        --logfile "$LOGS/redis.log"
    for _ in $(seq 50); do
        redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return
        sleep 0.1
    done
    echo "Redis did not answer; see $LOGS/redis.log" >&2
    exit 1
}

write_env() {
    umask 077
    [ -f "$RUN/secret_key" ] || "$VENV/bin/python" -c \
        'import secrets; print(secrets.token_urlsafe(48))' >"$RUN/secret_key"
    [ -f "$RUN/pg-password" ] || "$VENV/bin/python" -c \
        'import secrets; print(secrets.token_hex(16))' >"$RUN/pg-password"
    mkdir -p "$RUN/instance"
    {
        echo "QAPORTAL_ENV=production"
        echo "QAPORTAL_SECRET_KEY=$(cat "$RUN/secret_key")"
        echo "QAPORTAL_DATABASE_URL=postgresql+psycopg://qaportal:$(cat "$RUN/pg-password")@127.0.0.1:$PG_PORT/qaportal"
        echo "QAPORTAL_BASE_URL=https://localhost:$HTTP_PORT"
        echo "QAPORTAL_INSTANCE_PATH=$RUN/instance"
        echo "QAPORTAL_PROXY_FIX=1"
        echo "QAPORTAL_QUEUE_URL=redis://127.0.0.1:$REDIS_PORT/0"
        echo "QAPORTAL_CACHE_URL=redis://127.0.0.1:$REDIS_PORT/1"
        echo "QAPORTAL_RATELIMIT_STORAGE_URI=redis://127.0.0.1:$REDIS_PORT/2"
        echo "QAPORTAL_MAIL_HOST=127.0.0.1"
        echo "QAPORTAL_MAIL_PORT=$SMTP_PORT"
        # The caller's own settings win (a real SMTP relay, other limits…), except those that
        # make the shape: a shell holding another shape's env file must not point this one there.
        env | grep '^QAPORTAL_' | grep -v -E "^QAPORTAL_($SHAPE_OWN)=" || true
    } >"$ENV_FILE.new"
    mv "$ENV_FILE.new" "$ENV_FILE"
    umask 022
}

load_env() {
    set -a
    # shellcheck disable=SC1090
    . "$ENV_FILE"
    set +a
}

start_daemon() { # start_daemon NAME COMMAND…: in its own session, output to logs/NAME.log
    local name=$1
    shift
    if alive "$name"; then
        say "$name already running"
        return
    fi
    say "starting $name"
    setsid nohup "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
    echo $! >"$RUN/$name.pid"
}

wait_healthy() {
    # Each worker builds the app on its first request, which takes seconds on a busy machine.
    "$VENV/bin/python" - "http://127.0.0.1:$HTTP_PORT/healthz" "$LOGS" <<'EOF'
import sys, time, urllib.error, urllib.request
deadline, last = time.monotonic() + 180, "no answer"
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(sys.argv[1], timeout=15) as r:
            print("==> healthy:", r.status, r.read().decode())
            sys.exit(0)
    except urllib.error.HTTPError as e:
        last = f"{e.code} {e.read().decode()}"
    except OSError as e:
        last = str(e)
    time.sleep(0.5)
sys.exit(f"/healthz did not answer 200 within 180 s (last: {last}); see {sys.argv[2]}/")
EOF
}

cmd_start() {
    [ "$(id -u)" -eq 0 ] || { echo "run as root (it starts PostgreSQL as postgres)" >&2; exit 1; }
    mkdir -p "$RUN" "$LOGS"
    install_packages
    write_env
    start_postgres
    start_redis
    load_env
    say "migrating"
    "$VENV/bin/qaportal" db upgrade >>"$LOGS/migrate.log" 2>&1 \
        || { tail -n 20 "$LOGS/migrate.log" >&2; exit 1; }
    if [ "$QAPORTAL_MAIL_HOST" = 127.0.0.1 ] && [ "$QAPORTAL_MAIL_PORT" = "$SMTP_PORT" ]; then
        # A sink that prints every message: mail can be read in logs/smtp.log.
        start_daemon smtp "$VENV/bin/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT"
    fi
    if alive gunicorn; then
        say "gunicorn already running"
    else
        say "starting gunicorn ($WORKERS workers) on 127.0.0.1:$HTTP_PORT"
        "$VENV/bin/gunicorn" --workers "$WORKERS" --bind "127.0.0.1:$HTTP_PORT" \
            --daemon --pid "$RUN/gunicorn.pid" --error-logfile "$LOGS/gunicorn.log" \
            --access-logfile "$LOGS/access.log" --chdir "$RUN" 'qaportal:create_app()'
        for _ in $(seq 50); do [ -s "$RUN/gunicorn.pid" ] && break; sleep 0.1; done
    fi
    start_daemon mail "$VENV/bin/qaportal" mail send --loop
    start_daemon worker "$VENV/bin/qaportal" worker
    wait_healthy
    echo "portal:   http://127.0.0.1:$HTTP_PORT/ (as behind TLS: send X-Forwarded-Proto: https)"
    echo "env file: $ENV_FILE    logs: $LOGS/"
}

stop_pid() { # stop_pid NAME: TERM, then KILL after 10 s
    local name=$1 pid
    alive "$name" || { rm -f "$RUN/$name.pid"; return; }
    pid=$(cat "$RUN/$name.pid")
    say "stopping $name ($pid)"
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    rm -f "$RUN/$name.pid"
}

cmd_stop() {
    for name in gunicorn worker mail smtp redis; do stop_pid "$name"; done
    local bin
    bin=$(pg_bin)
    if [ -n "$bin" ] && [ -f "$RUN/pg/data/postmaster.pid" ]; then
        say "stopping PostgreSQL"
        as_postgres "$bin/pg_ctl" -D "$RUN/pg/data" -m fast -w stop >/dev/null
    fi
}

cmd_status() {
    local bad=0
    for name in gunicorn worker mail smtp redis; do
        if alive "$name"; then
            echo "$name: running ($(cat "$RUN/$name.pid"))"
        else
            echo "$name: stopped"
            [ "$name" = smtp ] || bad=1
        fi
    done
    if [ -f "$RUN/pg/data/postmaster.pid" ] \
        && as_postgres "$(pg_bin)/pg_ctl" -D "$RUN/pg/data" status >/dev/null 2>&1; then
        echo "postgresql: running (port $PG_PORT)"
    else
        echo "postgresql: stopped"
        bad=1
    fi
    echo -n "healthz: "
    "$VENV/bin/python" - "http://127.0.0.1:$HTTP_PORT/healthz" <<'EOF' || bad=1
import sys, urllib.error, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        print(r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode()); sys.exit(1)
except OSError as e:
    print("no answer:", e); sys.exit(1)
EOF
    return $bad
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) echo "$ENV_FILE" ;;
    *)
        echo "usage: $0 start|stop|status|env" >&2
        exit 2
        ;;
esac
