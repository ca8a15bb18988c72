# shellcheck shell=bash
# Common set-up for scripts/demo and scripts/test: system packages, build, a private
# installation tree and a throwaway PostgreSQL cluster under the repository.
#
# Environment:
#   USERSEG_PORT     port of the throwaway cluster (default: derived from the checkout path)
#   USERSEG_NO_APT=1 never call apt-get (fail if something is missing)
#   CI=true          build with -Werror and assertions on warnings

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PGVER=15
SYS_BINDIR=/usr/lib/postgresql/$PGVER/bin
SYS_LIBDIR=/usr/lib/postgresql/$PGVER/lib
SYS_SHAREDIR=/usr/share/postgresql/$PGVER
PY=/usr/bin/python3

# Packages the build and the demo need on Debian 12 (the server, PGXS, LAPACK, ARPACK).
DEB_BUILD_PACKAGES=(
  build-essential
  postgresql-$PGVER
  postgresql-server-dev-$PGVER
  pkg-config
  liblapack-dev
  libopenblas-dev
  libarpack2-dev
)
# Packages the test command needs besides: pgTAP, pg_cron, scikit-learn, Chromium.
DEB_PACKAGES=(
  "${DEB_BUILD_PACKAGES[@]}"
  postgresql-$PGVER-pgtap
  libtap-parser-sourcehandler-pgtap-perl
  postgresql-$PGVER-cron
  python3-sklearn
  python3-psycopg2
  python3-pandas
  chromium
  fonts-dejavu-core
)
# Packages only the benchmark needs.
DEB_BENCH_PACKAGES=(postgresql-$PGVER-postgis-3 python3-fastcluster python3-matplotlib)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_packages PKG...: install what is missing (apt-get update once, then install).
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "${USERSEG_NO_APT:-}" = 1 ] && die "missing packages: ${missing[*]}"
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo -n)
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -q </dev/null >&2
  "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null >&2
}

# Where the cluster, the socket and the private installation live.  They stay inside the
# repository (tmp/ is ignored) when the server's user can reach it; otherwise tmp/ is a
# link to a folder under /tmp.
setup_dirs() {
  RUN_AS=()
  PG_USER=$(id -un)
  if [ "$(id -u)" -eq 0 ]; then
    PG_USER=postgres
    id "$PG_USER" >/dev/null 2>&1 || die "user postgres does not exist (is postgresql-$PGVER installed?)"
    RUN_AS=(runuser -u "$PG_USER" --)
  fi
  if [ ! -e "$ROOT/tmp" ]; then
    mkdir -p "$ROOT/tmp"
    if [ ${#RUN_AS[@]} -gt 0 ] && ! "${RUN_AS[@]}" test -x "$ROOT/tmp"; then
      rmdir "$ROOT/tmp"
      local alt
      alt=/tmp/userseg-$(printf '%s' "$ROOT" | md5sum | cut -c1-12)
      mkdir -p "$alt"
      ln -s "$alt" "$ROOT/tmp"
      log "the server's user cannot reach $ROOT; using $alt (linked as tmp/)"
    fi
  fi
  TMP=$(cd "$ROOT/tmp" && pwd -P)
  INST=$TMP/inst
  PGDATA_DIR=$TMP/data
  SOCK=$TMP/run
  LOGFILE=$PGDATA_DIR/server.log
  PORT=${USERSEG_PORT:-$((54000 + $(printf '%s' "$ROOT" | cksum | cut -d' ' -f1) % 1000))}
  BINDIR=$INST/usr/lib/postgresql/$PGVER/bin
  export PGHOST=$SOCK PGPORT=$PORT PGUSER=$PG_USER
}

# A private installation tree: PostgreSQL finds its share and lib folders relative to the
# postgres binary, so a hard-linked copy of the server's binaries next to linked share and
# lib folders serves this checkout's build without touching the system's folders.
make_private_tree() {

  rm -rf "$INST"
  mkdir -p "$INST/usr/lib/postgresql/$PGVER" "$INST/usr/share/postgresql/$PGVER/extension" \
           "$INST/usr/lib/postgresql/$PGVER/lib"
  cp -al "$SYS_BINDIR" "$BINDIR" 2>/dev/null || cp -a "$SYS_BINDIR" "$BINDIR"
  # one ln per folder, not per file: the extension folder can hold a thousand files
  find "$SYS_SHAREDIR" -mindepth 1 -maxdepth 1 ! -name extension \
    -exec ln -s -t "$INST/usr/share/postgresql/$PGVER/" {} +
  find "$SYS_SHAREDIR/extension" -mindepth 1 -maxdepth 1 ! -name 'userseg*' \
    -exec ln -s -t "$INST/usr/share/postgresql/$PGVER/extension/" {} +
  find "$SYS_LIBDIR" -mindepth 1 -maxdepth 1 ! -name 'userseg*' \
    -exec ln -s -t "$INST/usr/lib/postgresql/$PGVER/lib/" {} +
  chmod -R a+rX "$INST"
}

# build: compile and install into the private tree.
build() {
  local cflags="-Wall -Wextra -Wno-unused-parameter"
  [ "${CI:-}" = true ] && cflags="$cflags -Werror"
  log "building userseg"
  make -C "$ROOT" -s -j2 PG_CONFIG="$SYS_BINDIR/pg_config" PG_CFLAGS="$cflags" >&2
  make_private_tree
  make -C "$ROOT" -s install PG_CONFIG="$SYS_BINDIR/pg_config" DESTDIR="$INST" >/dev/null
  chmod -R a+rX "$INST"
}

stop_cluster() {
  if [ -n "${PGDATA_DIR:-}" ] && [ -f "$PGDATA_DIR/postmaster.pid" ]; then
    "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >/dev/null 2>&1 || true
  fi
}

# start_cluster [extra postgres settings...]: a fresh throwaway cluster.
start_cluster() {
  stop_cluster
  rm -rf "$PGDATA_DIR" "$SOCK"
  mkdir -p "$PGDATA_DIR" "$SOCK"
  [ ${#RUN_AS[@]} -gt 0 ] && chown "$PG_USER" "$PGDATA_DIR" "$SOCK"
  chmod 700 "$PGDATA_DIR"
  "${RUN_AS[@]}" "$BINDIR/initdb" -D "$PGDATA_DIR" -U "$PG_USER" --auth=trust \
      --no-sync -E UTF8 --locale=C >/dev/null
  {
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$SOCK'"
    echo "port = $PORT"
    echo "fsync = off"
    echo "max_worker_processes = 8"
    echo "shared_buffers = 256MB"
    echo "lc_messages = 'C'"
    for s in "$@"; do echo "$s"; done
  } >> "$PGDATA_DIR/postgresql.conf"
  log "starting PostgreSQL on port $PORT (socket $SOCK)"
  trap stop_cluster EXIT
  "${RUN_AS[@]}" "$BINDIR/pg_ctl" -D "$PGDATA_DIR" -l "$LOGFILE" -w -t 60 start >/dev/null \
    || { tail -20 "$LOGFILE" >&2; die "the server did not start"; }
}

psql_run() { "$BINDIR/psql" -X -v ON_ERROR_STOP=1 -q "$@"; }
