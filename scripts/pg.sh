#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests and benchmarks: never a server this script did not
# start. Installs Debian's `postgresql` when no server binaries are found, creates the cluster
# under target/pg/ on first use (initdb as the `postgres` user: the server refuses to run as
# root), starts it on a free loopback port, and creates a role and a database with a random
# password.
#
#   scripts/pg.sh start      start the cluster (creating it on first use); prints the URL
#   scripts/pg.sh stop       stop it (a no-op when it is not running)
#   scripts/pg.sh restart    stop and start it again on the same port
#   scripts/pg.sh status     exit 0 when it is running
#   scripts/pg.sh url        print the URL of the running cluster
#   scripts/pg.sh bindir     print the directory of the server binaries (pg_ctl, pgbench)
#   scripts/pg.sh ca         print the path of the CA file (PEM) that signed the server's certificate
#
# The server speaks TLS (a certificate for `localhost`, signed by a test CA made here with
# openssl, which is installed when missing) beside plain connections; the role `consent_tls`
# (the same password, a member of the test role, acting as it: what it creates the test role
# owns) may connect only over TLS, so a test can show that a connection was encrypted. target/pg/tls/other-ca.pem is a CA that signed nothing here.
#
# The URL is postgresql://consent_test:PASSWORD@127.0.0.1:PORT/consent_test; a test adds its own
# `?schema=NAME`. The role owns the database and may create roles (a test makes a throwaway role
# to check permission errors). scripts/with-postgres.sh wraps a command with start and stop.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$ROOT/target/pg"          # owned by the caller: port, password, log
ROLE="consent_test"
DATABASE="consent_test"

die() { echo "pg.sh: $*" >&2; exit 1; }

# The server binaries: on PATH, or Debian's /usr/lib/postgresql/<major>/bin (newest major).
find_bindir() {
    local ctl
    if ctl="$(command -v pg_ctl 2>/dev/null)"; then
        dirname "$(readlink -f "$ctl")"
        return 0
    fi
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
        if [ -x "$dir/pg_ctl" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

# Installs a Debian package the cluster needs, as root with apt-get, or fails saying so.
apt_install() { # package why
    [ "$(id -u)" -eq 0 ] || die "$1 is not installed and only root can install it (apt-get install $1)"
    command -v apt-get >/dev/null || die "$1 is not installed and apt-get is missing"
    echo "pg.sh: installing $1 ($2)" >&2
    apt-get update >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$1" >&2
}

# The test CA (target/pg/tls/ca.pem), a CA that signed nothing (other-ca.pem), and the server's
# key and certificate for `localhost` (DNS name only: a client that checks names must connect
# to `localhost`, not 127.0.0.1) in the cluster directory, readable by the server alone.
make_certificates() {
    local dir="$1" tls="$STATE/tls"
    [ -f "$tls/ca.pem" ] && [ -f "$tls/other-ca.pem" ] && [ -f "$dir/tls/server.crt" ] && return 0
    command -v openssl >/dev/null || apt_install openssl "for the server's test certificate"
    rm -rf "$tls" "$dir/tls"
    mkdir -p "$tls"
    chmod 0700 "$tls"
    local ca
    for ca in ca other-ca; do
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
            -subj "/CN=consent test $ca" -keyout "$tls/$ca.key" -out "$tls/$ca.pem" \
            -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
            >/dev/null 2>&1 || die "openssl could not make the test CA"
    done
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
        -keyout "$tls/server.key" -out "$tls/server.csr" >/dev/null 2>&1 \
        || die "openssl could not make the server's key"
    printf 'subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' >"$tls/server.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
        -days 3650 -extfile "$tls/server.ext" -out "$tls/server.crt" >/dev/null 2>&1 \
        || die "openssl could not sign the server's certificate"
    chmod 0644 "$tls/ca.pem" "$tls/other-ca.pem"
    mkdir -p "$dir/tls"
    cp "$tls/server.crt" "$tls/server.key" "$dir/tls/"
    chown -R "$(owner)" "$dir/tls"
    chmod 0700 "$dir/tls"
    chmod 0600 "$dir/tls/server.key"
}

# Connections of `consent_tls` without TLS are refused (the first matching line wins).
require_tls_for_tls_role() {
    local hba="$1/data/pg_hba.conf"
    as_owner grep -q '^hostnossl all consent_tls' "$hba" && return 0
    as_owner sed -i '1i hostnossl all consent_tls all reject' "$hba"
}

bindir() {
    local dir
    if ! dir="$(find_bindir)"; then
        apt_install postgresql "pg_ctl is missing"
        dir="$(find_bindir)" || die "postgresql was installed but pg_ctl is still missing"
    fi
    echo "$dir"
}

# Runs a command as the cluster's owner: `postgres` when we are root, else ourselves. From `/`,
# which `postgres` can always enter (the checkout may be in a directory it cannot).
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

owner() {
    if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

# Where the data and socket directories live: under target/pg when the owner can reach it,
# else under /tmp (a checkout in a directory that `postgres` cannot enter, such as /root).
cluster_dir() {
    if [ -f "$STATE/cluster_dir" ]; then
        cat "$STATE/cluster_dir"
        return
    fi
    local dir="$STATE/cluster"
    mkdir -p "$STATE"
    if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$STATE"; then
        dir="/tmp/consent-pg-$(printf '%s' "$ROOT" | sha256sum | cut -c1-16)"
        echo "pg.sh: \`postgres\` cannot enter $STATE; the cluster lives in $dir" >&2
    fi
    echo "$dir" >"$STATE/cluster_dir"
    echo "$dir"
}

is_running() {
    local bin="$1" dir="$2"
    [ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

port_is_free() {
    # A refused connection means nothing listens there.
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
    local port tries=0
    while [ $tries -lt 200 ]; do
        port=$(( 20000 + RANDOM % 20000 ))
        if port_is_free "$port"; then
            echo "$port"
            return 0
        fi
        tries=$((tries + 1))
    done
    die "no free loopback port found"
}

url() {
    [ -f "$STATE/port" ] && [ -f "$STATE/password" ] || die "the cluster has not been started (scripts/pg.sh start)"
    printf 'postgresql://%s:%s@127.0.0.1:%s/%s\n' "$ROLE" "$(cat "$STATE/password")" "$(cat "$STATE/port")" "$DATABASE"
}

init_cluster() {
    local bin="$1" dir="$2"
    echo "pg.sh: creating a cluster in $dir/data" >&2
    mkdir -p "$dir"
    chmod 0700 "$dir"
    chown "$(owner)" "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=peer --auth-host=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 \
        || { cat "$STATE/initdb.log" >&2; die "initdb failed"; }
}

# The role's password: random, kept beside the state (readable by its owner only), and set
# on the role at every start.
new_password() {
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -d '+/=\n' >"$STATE/password")
}

start() {
    local bin dir port
    bin="$(bindir)"
    dir="$(cluster_dir)"
    if is_running "$bin" "$dir"; then
        if [ -f "$STATE/port" ] && [ -f "$STATE/password" ]; then
            url
            return 0
        fi
        # Left running by an earlier checkout at this path: its port and password are lost.
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
    fi
    [ -f "$dir/data/PG_VERSION" ] || init_cluster "$bin" "$dir"
    make_certificates "$dir"
    require_tls_for_tls_role "$dir"
    [ -f "$STATE/password" ] || new_password
    mkdir -p "$dir/run"
    chown "$(owner)" "$dir/run"
    chmod 0700 "$dir/run"
    local attempt
    for attempt in 1 2 3 4 5; do
        if [ -f "$STATE/port" ] && [ "$attempt" -eq 1 ] && port_is_free "$(cat "$STATE/port")"; then
            port="$(cat "$STATE/port")"
        else
            port="$(pick_port)"
        fi
        # max_connections: 16 bench writers, their readers and parallel tests, with room.
        if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/run -c max_connections=300 -c ssl=on -c ssl_cert_file=$dir/tls/server.crt -c ssl_key_file=$dir/tls/server.key" \
            start >/dev/null; then
            echo "$port" >"$STATE/port"
            break
        fi
        port=""
        echo "pg.sh: the server did not start on port $port (attempt $attempt); see $dir/server.log" >&2
    done
    [ -n "$port" ] || { tail -n 30 "$dir/server.log" >&2 || true; die "the server did not start"; }
    # The role and the database (idempotent: a restarted cluster keeps them).
    local password
    password="$(cat "$STATE/password")"
    as_owner "$bin/psql" -h "$dir/run" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -v role="$ROLE" -v password="$password" >/dev/null <<'SQL' || die "cannot create the test role"
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L CREATEROLE', :'role', :'password') \gexec
SELECT 'CREATE ROLE consent_tls LOGIN'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'consent_tls') \gexec
SELECT format('ALTER ROLE consent_tls PASSWORD %L', :'password') \gexec
SELECT format('GRANT %I TO consent_tls', :'role') \gexec
SELECT format('ALTER ROLE consent_tls SET role = %L', :'role') \gexec
SQL
    as_owner "$bin/psql" -h "$dir/run" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
        -v role="$ROLE" -v db="$DATABASE" >/dev/null <<'SQL' || die "cannot create the test database"
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
SQL
    url
}

stop() {
    local bin dir
    bin="$(find_bindir)" || return 0
    [ -f "$STATE/cluster_dir" ] || return 0
    dir="$(cluster_dir)"
    if is_running "$bin" "$dir"; then
        as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
        echo "pg.sh: stopped the cluster in $dir" >&2
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    restart) stop; start ;;
    status)
        # Running and usable: its port and password are known.
        bin="$(find_bindir)" || exit 1
        [ -f "$STATE/cluster_dir" ] && [ -f "$STATE/port" ] && [ -f "$STATE/password" ] || exit 1
        is_running "$bin" "$(cluster_dir)" ;;
    url) url ;;
    bindir) bindir ;;
    ca) [ -f "$STATE/tls/ca.pem" ] || die "the cluster has not been started (scripts/pg.sh start)"; echo "$STATE/tls/ca.pem" ;;
    *) echo "usage: scripts/pg.sh start|stop|restart|status|url|bindir|ca" >&2; exit 2 ;;
esac
