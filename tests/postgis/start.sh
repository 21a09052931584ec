#!/usr/bin/env bash
# Installs (if missing) and starts a local PostgreSQL with PostGIS for the PostGIS tests, idempotently.
# Run as root on Debian. Progress goes to stderr; the one line on stdout is the connection string:
#   FIDAMIA_POSTGIS="$(bash tests/postgis/start.sh)"
# Environment: POSTGIS_START_TIMEOUT (seconds to wait for the server, default 60).
set -euo pipefail

exec 3>&1 1>&2   # everything but the final connection string goes to stderr

role=fidamia
password=fidamia
database=fidamia
timeout="${POSTGIS_START_TIMEOUT:-60}"

log() { echo "postgis: $*"; }
fail() { echo "postgis: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "must run as root (it installs packages and starts the cluster)"
[ -r /etc/os-release ] && . /etc/os-release
[ "${ID:-}" = debian ] || [ "${ID_LIKE:-}" = debian ] || log "warning: not Debian (${PRETTY_NAME:-unknown}); trying apt anyway"
command -v apt-get >/dev/null || fail "apt-get not found: install PostgreSQL and PostGIS by hand"

export DEBIAN_FRONTEND=noninteractive
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then
    log "apt-get update"
    apt-get update -qq || fail "apt-get update failed"
    apt_updated=1
  fi
  log "apt-get install $*"
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null || fail "apt-get install $* failed"
}

# The newest installed server version, e.g. 15 on bookworm.
server_version() {
  local v
  v=$(ls /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -n 1 || true)
  [ -n "$v" ] && [ -x "/usr/lib/postgresql/$v/bin/postgres" ] && echo "$v" || true
}

t0=$(date +%s)
version=$(server_version)
if [ -z "$version" ] || ! command -v pg_ctlcluster >/dev/null || ! command -v pg_isready >/dev/null; then
  apt_install postgresql postgresql-client postgresql-common
  version=$(server_version)
  [ -n "$version" ] || fail "PostgreSQL installed but no server found under /usr/lib/postgresql"
fi
if [ ! -f "/usr/share/postgresql/$version/extension/postgis.control" ]; then
  # Debian names it postgresql-<major>-postgis-3 (bookworm: postgresql-15-postgis-3).
  apt_install "postgresql-$version-postgis-3" "postgresql-$version-postgis-3-scripts"
  [ -f "/usr/share/postgresql/$version/extension/postgis.control" ] || fail "postgresql-$version-postgis-3 installed but postgis.control is missing"
fi
t1=$(date +%s)
log "PostgreSQL $version with PostGIS present ($((t1 - t0)) s)"

# A cluster "main" (the package creates one unless create_main_cluster is off).
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { found = 1 } END { exit !found }'; then
  log "creating cluster $version/main"
  pg_createcluster "$version" main >/dev/null || fail "pg_createcluster $version main failed"
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" { print $3 }')
[ -n "$port" ] || fail "cannot read the port of cluster $version/main"

if ! pg_ctlcluster "$version" main status >/dev/null 2>&1; then
  log "starting cluster $version/main on port $port"
  # The server must not inherit this script's stdout or stderr: callers read stdout with $(...), which
  # would wait for the daemon to close it, i.e. forever. Its own log is in /var/log/postgresql.
  # Nor any other descriptor of the caller's (a CI harness may wait for its pipes to close).
  (
    for fd in /proc/self/fd/*; do
      n=${fd##*/}
      if [ "$n" -gt 2 ] 2>/dev/null; then eval "exec $n>&-" 2>/dev/null || true; fi
    done
    exec pg_ctlcluster "$version" main start </dev/null >/dev/null 2>&1
  ) || {
    tail -n 20 "/var/log/postgresql/postgresql-$version-main.log" 2>/dev/null || true
    fail "pg_ctlcluster $version main start failed (log above)"
  }
fi

deadline=$(( $(date +%s) + timeout ))
until pg_isready -q -h 127.0.0.1 -p "$port"; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    tail -n 20 "/var/log/postgresql/postgresql-$version-main.log" 2>/dev/null || true
    fail "server on 127.0.0.1:$port not ready after ${timeout} s (log above)"
  fi
  sleep 1
done
t2=$(date +%s)
log "server ready on 127.0.0.1:$port ($((t2 - t1)) s)"

as_postgres() { PGOPTIONS="-c client_min_messages=warning" runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@"; }

# Role (password reset each run), database owned by it, PostGIS in it. All idempotent.
as_postgres -d postgres >/dev/null <<SQL || fail "creating role $role failed"
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
    CREATE ROLE $role LOGIN;
  END IF;
END
\$\$;
ALTER ROLE $role WITH LOGIN PASSWORD '$password';
SQL
if [ -z "$(as_postgres -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]; then
  log "creating database $database"
  as_postgres -d postgres -c "CREATE DATABASE $database OWNER $role" >/dev/null || fail "CREATE DATABASE $database failed"
fi
as_postgres -d "$database" -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null || fail "CREATE EXTENSION postgis failed"

# Check the way the tests connect: password over TCP on 127.0.0.1.
PGPASSWORD="$password" psql -X -q -h 127.0.0.1 -p "$port" -U "$role" -d "$database" -tA \
  -c "SELECT postgis_lib_version()" >/tmp/postgis-version.$$ 2>&1 \
  || { cat /tmp/postgis-version.$$; rm -f /tmp/postgis-version.$$; fail "cannot log in as $role on 127.0.0.1:$port"; }
log "PostGIS $(cat /tmp/postgis-version.$$) ready in database $database ($(( $(date +%s) - t0 )) s in all)"
rm -f /tmp/postgis-version.$$

echo "Host=127.0.0.1;Port=$port;Username=$role;Password=$password;Database=$database" >&3
