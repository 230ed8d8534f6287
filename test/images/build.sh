#!/usr/bin/env bash
# Build the local images the docker tests run: Postgres 15 and Redis 7 from Debian bookworm's own
# packages, for machines that cannot pull from any registry. debootstrap a minimal rootfs (from the
# mirror apt already uses), `docker import` it, then commit two images with their entrypoints:
#   dev-instances-test/postgres:<hash>  honours POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB and
#                                        initialises an empty data volume on first start
#   dev-instances-test/redis:<hash>     runs the command it is given (redis-server ...) from /data
# <hash> covers this file (entrypoints included) and the suite, so an unchanged build is skipped.
# The base compose file sets stop_signal SIGINT (fast shutdown) for Postgres, as the official image does.
# These are test stand-ins, not the official images: no locale set-up, no init scripts
# (/docker-entrypoint-initdb.d), no POSTGRES_INITDB_ARGS, no versions other than Debian's.
# Prints the two DEV_INSTANCES_IMAGE_<SERVICE>=<image> lines the tests use. Needs root and dockerd.
set -euo pipefail

SUITE=bookworm
PACKAGES=postgresql-15,redis-server
here=$(cd "$(dirname "$0")" && pwd)
hash=$( { cat "$0"; echo "$SUITE $PACKAGES $(uname -m)"; } | sha256sum | cut -c1-12)
PG_IMAGE=dev-instances-test/postgres:$hash
REDIS_IMAGE=dev-instances-test/redis:$hash

say() { echo "build.sh: $*" >&2; }
have() { docker image inspect "$1" >/dev/null 2>&1; }

if have "$PG_IMAGE" && have "$REDIS_IMAGE"; then
  echo "DEV_INSTANCES_IMAGE_POSTGRES=$PG_IMAGE"
  echo "DEV_INSTANCES_IMAGE_REDIS=$REDIS_IMAGE"
  exit 0
fi

command -v debootstrap >/dev/null || { say "debootstrap is not installed (apt-get install -y debootstrap)"; exit 1; }
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || { say "no Docker engine answers (start dockerd)"; exit 1; }

# The mirror apt already uses on this machine: deb822 sources first, then the one-line format.
mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)
[ -n "$mirror" ] || mirror=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep -v security | head -n1 || true)
[ -n "$mirror" ] || { say "cannot find a Debian mirror in apt's sources"; exit 1; }

work=$(mktemp -d /var/tmp/dev-instances-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
t0=$SECONDS
say "debootstrap $SUITE with $PACKAGES from $mirror (about a minute)"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; say "debootstrap failed"; exit 1; }

# Slim: no default cluster (the entrypoint makes one on the volume), no docs, no apt caches.
rm -rf "$rootfs"/var/lib/postgresql/15 "$rootfs"/etc/postgresql/15/main \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/* \
  "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log
mkdir -p "$rootfs"/var/lib/postgresql/data "$rootfs"/var/run/postgresql "$rootfs"/data
chroot "$rootfs" chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql
chroot "$rootfs" chown redis:redis /data

cat >"$rootfs"/usr/local/bin/postgres-entrypoint <<'SH'
#!/bin/sh
# First start on an empty volume: initdb as the postgres user with POSTGRES_USER/POSTGRES_PASSWORD,
# create POSTGRES_DB; then run the server in the foreground, listening on every address.
set -eu
PGDATA=${PGDATA:-/var/lib/postgresql/data}
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgres-entrypoint: POSTGRES_PASSWORD is not set; an empty volume needs it" >&2
    exit 1
  fi
  user=${POSTGRES_USER:-postgres}
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
  chown postgres "$pwfile"
  as_postgres initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  db=${POSTGRES_DB:-$user}
  if [ "$db" != postgres ]; then
    as_postgres pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    as_postgres createdb -U "$user" "$db"
    as_postgres pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo "postgres-entrypoint: initialised $PGDATA for user $user"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*' "$@"
SH

cat >"$rootfs"/usr/local/bin/redis-entrypoint <<'SH'
#!/bin/sh
# Run what the container is given as the redis user from /data, reachable through published ports.
set -eu
chown redis:redis /data
if [ "${1:-}" = redis-server ]; then shift; set -- redis-server "$@" --protected-mode no; fi
exec setpriv --reuid=redis --regid=redis --init-groups "$@"
SH
chmod 755 "$rootfs"/usr/local/bin/postgres-entrypoint "$rootfs"/usr/local/bin/redis-entrypoint
say "rootfs ready after $((SECONDS - t0)) s ($(du -sh "$rootfs" | cut -f1))"

base=dev-instances-test/base:$hash
tar -C "$rootfs" -c . | docker import -c 'ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$base" >/dev/null
# Two images that share the base's one layer: a container committed with each entrypoint.
commit() {
  local name=$1; shift
  local cid
  cid=$(docker create "$base" true)
  docker commit "$@" "$cid" "$name" >/dev/null || { docker rm "$cid" >/dev/null; return 1; }
  docker rm "$cid" >/dev/null
}
commit "$PG_IMAGE" -c 'ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]' -c 'CMD []' \
  -c 'VOLUME /var/lib/postgresql/data' -c 'EXPOSE 5432'
commit "$REDIS_IMAGE" -c 'ENTRYPOINT ["/usr/local/bin/redis-entrypoint"]' -c 'CMD ["redis-server"]' -c 'WORKDIR /data' \
  -c 'VOLUME /data' -c 'EXPOSE 6379'
# Earlier builds (other hashes) are of no further use.
docker images --format '{{.Repository}}:{{.Tag}}' | grep '^dev-instances-test/' | grep -v ":$hash\$" \
  | xargs -r docker rmi >/dev/null 2>&1 || true
say "built $PG_IMAGE and $REDIS_IMAGE in $((SECONDS - t0)) s"
echo "DEV_INSTANCES_IMAGE_POSTGRES=$PG_IMAGE"
echo "DEV_INSTANCES_IMAGE_REDIS=$REDIS_IMAGE"
