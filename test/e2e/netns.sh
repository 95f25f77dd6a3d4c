#!/usr/bin/env bash
# Runs a command inside a private network namespace made for it, so that WebRTC between headless Chromium pages
# has a real interface with a default route (over loopback alone Chromium gathers no usable candidate) and nothing
# the test does can leave the machine. See shared/TESTING.md.
#
#   bash test/e2e/netns.sh npx vitest run -c vitest.e2e.config.ts
#
# Inside: lo up; veth pair v0 (10.77.0.1/24) <-> v1 (10.77.0.2/24); default route via 10.77.0.2 on v0.
# As root it uses `unshare -n`; otherwise `unshare -rn` (needs unprivileged user namespaces).
# Already inside such a namespace (SWARMFETCH_NETNS=1 and v0 holds 10.77.0.1) it just runs the command.
# It never runs the command outside a namespace: when one cannot be made it fails with exit code 97.
set -euo pipefail

ADDR=10.77.0.1
PEER=10.77.0.2
export PATH="$PATH:/usr/sbin:/sbin"

die() {
  echo "netns.sh: $*" >&2
  exit 97
}

in_namespace() {
  # Our namespace has v0 with ADDR and the default route through PEER.
  ip -o -4 addr show dev v0 2>/dev/null | grep -q " ${ADDR}/24 " &&
    ip route show default 2>/dev/null | grep -q "via ${PEER} dev v0"
}

[ $# -gt 0 ] || die "usage: netns.sh COMMAND [ARG...]"
command -v ip >/dev/null || die "'ip' not found: install iproute2 (apt-get install -y iproute2)"
command -v unshare >/dev/null || die "'unshare' not found: install util-linux"

# Second stage: running as the namespace's first process; set up the network, check it, then become the command.
if [ "${SWARMFETCH_NETNS_SETUP:-}" = 1 ]; then
  unset SWARMFETCH_NETNS_SETUP
  # Never touch a namespace we did not just make: a fresh one holds nothing but lo.
  others="$(ip -o link show | awk -F': ' '{print $2}' | grep -v '^lo$' || true)"
  [ -z "$others" ] || die "refusing to set up: this network namespace already has interfaces (${others//$'\n'/ })"
  ip link set lo up || die "cannot bring lo up inside the namespace"
  ip link add v0 type veth peer name v1 || die "cannot create the veth pair v0/v1 inside the namespace"
  ip addr add "${ADDR}/24" dev v0
  ip addr add "${PEER}/24" dev v1
  ip link set v0 up
  ip link set v1 up
  ip route add default via "$PEER" dev v0 || die "cannot add the default route via $PEER"
  in_namespace || die "namespace set up but v0/default route not as expected: $(ip -o addr; ip route)"
  export SWARMFETCH_NETNS=1
  exec "$@"
fi

if [ "${SWARMFETCH_NETNS:-}" = 1 ]; then
  in_namespace || die "SWARMFETCH_NETNS=1 is set but this is not a swarmfetch network namespace (no v0 with ${ADDR}); unset it"
  exec "$@"
fi

self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
  mode=(-n)
elif unshare -rn true 2>/dev/null; then
  mode=(-r -n)
else
  reason="$( { unshare -rn true; } 2>&1 || true)"
  die "cannot create a network namespace (tried$([ "$(id -u)" = 0 ] && echo " 'unshare -n' and") 'unshare -rn': ${reason:-unknown error}).
  As root this needs CAP_SYS_ADMIN (e.g. docker run --cap-add=SYS_ADMIN or --privileged);
  as a user it needs unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1,
  user.max_user_namespaces > 0). End-to-end tests are not run outside a namespace."
fi

echo "netns.sh: running in a private network namespace (unshare ${mode[*]}; v0 ${ADDR}/24): $*" >&2
SWARMFETCH_NETNS_SETUP=1 exec unshare "${mode[@]}" bash "$self" "$@"
