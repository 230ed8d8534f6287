#!/usr/bin/env bash
# Start or stop a Docker engine for the tests, on machines where nothing starts one (CI, a fresh VM):
#   bash test/images/dockerd.sh start   start dockerd unless an engine already answers; wait until it does
#   bash test/images/dockerd.sh stop    stop the dockerd this script started (and nothing else)
# The pid file marks the engine as the tests' own: the one docker test that stops and restarts the
# daemon runs only against such an engine (always in CI).
set -euo pipefail
PIDFILE=${DEV_INSTANCES_DOCKERD_PIDFILE:-/run/dev-instances-dockerd.pid}
LOG=${DEV_INSTANCES_DOCKERD_LOG:-/var/log/dev-instances-dockerd.log}

answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
ours() { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

case "${1:-}" in
  start)
    if answers; then echo "dockerd.sh: a Docker engine already answers"; exit 0; fi
    command -v dockerd >/dev/null || { echo "dockerd.sh: dockerd is not installed (apt-get install -y docker.io)" >&2; exit 1; }
    # setsid: the daemon must outlive this script and not share its process group
    setsid dockerd --pidfile "$PIDFILE" >"$LOG" 2>&1 < /dev/null &
    for _ in $(seq 1 120); do
      if answers; then echo "dockerd.sh: dockerd $(docker version --format '{{.Server.Version}}') started (log: $LOG)"; exit 0; fi
      sleep 0.25
    done
    echo "dockerd.sh: dockerd did not answer within 30 s; its log:" >&2
    tail -n 20 "$LOG" >&2
    exit 1 ;;
  stop)
    if ! ours; then echo "dockerd.sh: no dockerd of ours is running"; exit 0; fi
    pid=$(cat "$PIDFILE")
    kill "$pid"
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || { echo "dockerd.sh: dockerd stopped"; exit 0; }; sleep 0.25; done
    echo "dockerd.sh: dockerd (pid $pid) did not stop within 30 s" >&2
    exit 1 ;;
  *)
    echo "usage: bash test/images/dockerd.sh start|stop" >&2
    exit 2 ;;
esac
