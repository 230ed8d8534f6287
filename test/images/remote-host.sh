#!/usr/bin/env bash
# A second Docker engine as a "remote host" for the tests, in a network namespace of its own with an
# address of its own (see ../shared/FACTS.md, Docker). Traffic goes only to that namespace.
#   bash test/images/remote-host.sh start [2]   namespace, veth pair, dockerd on tcp://ADDR:2375; wait until it answers
#   bash test/images/remote-host.sh down [2]    take the link down (the host "is lost")
#   bash test/images/remote-host.sh up [2]      bring it back
#   bash test/images/remote-host.sh mute [2]    its engine goes silent: requests to its API are dropped, unanswered
#   bash test/images/remote-host.sh unmute [2]  it answers again
#   bash test/images/remote-host.sh stop [2]    stop that dockerd, remove the namespace and its data
#   bash test/images/remote-host.sh address [2] print the address (for DOCKER_HOST=tcp://ADDR:2375)
# Host 1 (the default) is namespace di-remote at 10.231.77.2; host 2 is di-remote2 at 10.231.77.6.
# dockerd runs under nsenter, not `ip netns exec`: the latter remounts /sys and dockerd then fails
# with "Devices cgroup isn't mounted".
set -euo pipefail
HOST=${2:-1}
case "$HOST" in 1|2) ;; *) echo "remote-host.sh: host '$HOST': expected 1 or 2" >&2; exit 2 ;; esac
NS=di-remote$([ "$HOST" = 1 ] || echo "$HOST")
HOST_IF=di-rh$((HOST * 2 - 2))
NS_IF=di-rh$((HOST * 2 - 1))
NET=10.231.77.$(((HOST - 1) * 4))
HOST_ADDR=${NET%.*}.$(((HOST - 1) * 4 + 1))
ADDR=${NET%.*}.$(((HOST - 1) * 4 + 2))
BRIDGE=172.31.$((76 + HOST)).1/24
STATE=/run/$NS
PIDFILE=$STATE/dockerd.pid
LOG=/var/log/$NS-dockerd.log
DATA=/var/lib/$NS-docker

answers() { DOCKER_HOST=tcp://$ADDR:2375 timeout 5 docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

case "${1:-}" in
  start)
    if [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && answers; then echo "remote-host.sh: $NS already answers on $ADDR"; exit 0; fi
    command -v dockerd >/dev/null || { echo "remote-host.sh: dockerd is not installed (apt-get install -y docker.io)" >&2; exit 1; }
    mkdir -p "$STATE" "$DATA"
    ip netns list | grep -qw "$NS" || ip netns add "$NS"
    if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
      ip link add "$HOST_IF" type veth peer name "$NS_IF"
      ip link set "$NS_IF" netns "$NS"
      ip addr add "$HOST_ADDR/30" dev "$HOST_IF"
      ip -n "$NS" addr add "$ADDR/30" dev "$NS_IF"
    fi
    ip link set "$HOST_IF" up
    # Without its link the namespace's address must be unreachable, never routed out of the machine
    # by the default route: a fallback route below the link's own.
    ip route replace unreachable "$NET/30" metric 4000
    ip -n "$NS" link set lo up
    ip -n "$NS" link set "$NS_IF" up
    # Its own bridge range, its own sockets and data: nothing shared with the machine's engine.
    setsid nsenter --net=/var/run/netns/"$NS" dockerd --data-root "$DATA" --exec-root "$STATE/exec" --pidfile "$PIDFILE" \
      -H "unix://$STATE/docker.sock" -H "tcp://$ADDR:2375" --bip "$BRIDGE" >"$LOG" 2>&1 < /dev/null &
    for _ in $(seq 1 120); do
      if answers; then echo "remote-host.sh: dockerd in $NS answers on tcp://$ADDR:2375 (log: $LOG)"; exit 0; fi
      sleep 0.25
    done
    echo "remote-host.sh: dockerd in $NS did not answer within 30 s; its log:" >&2
    tail -n 20 "$LOG" >&2
    exit 1 ;;
  # The namespace's end goes down: the host keeps its route (no carrier), and the unreachable
  # fallback covers the rest, so nothing is sent anywhere else meanwhile.
  down) ip -n "$NS" link set "$NS_IF" down ;;
  up) ip -n "$NS" link set "$NS_IF" up; ip link set "$HOST_IF" up ;;
  # Down, the link fails fast (no route to host). A host behind a firewall or a dead VPN says
  # nothing at all: its API's packets are dropped inside the namespace, so a client waits.
  mute) nsenter --net=/var/run/netns/"$NS" iptables -I INPUT -p tcp --dport 2375 -j DROP ;;
  unmute) while nsenter --net=/var/run/netns/"$NS" iptables -D INPUT -p tcp --dport 2375 -j DROP 2>/dev/null; do :; done ;;
  stop)
    if [ -s "$PIDFILE" ]; then
      pid=$(cat "$PIDFILE")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
    ip link del "$HOST_IF" 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    # The unreachable fallback route stays: a client that still names the address afterwards (a
    # stale DOCKER_HOST, a test cut short) fails here instead of being routed out of the machine.
    ip route replace unreachable "$NET/30" metric 4000
    # Its containers' mounts go with the namespace; then its data.
    rm -rf "$STATE" "$DATA"
    echo "remote-host.sh: $NS removed" ;;
  address) echo "$ADDR" ;;
  *)
    echo "usage: bash test/images/remote-host.sh start|down|up|mute|unmute|stop|address [1|2]" >&2
    exit 2 ;;
esac
