#!/bin/sh
# Installs every build and test dependency of podkit from Debian's packages.
# Idempotent: packages already present are left as they are.
set -eu
PKGS="build-essential pkg-config clang llvm
libnl-3-dev libnl-route-3-dev libmnl-dev libnftnl-dev libseccomp-dev libjansson-dev
busybox-static bats runc crun nftables iproute2 procps psmisc util-linux curl
containernetworking-plugins valgrind hyperfine jq python3 apache2-utils iptables
strace binutils libclang-rt-14-dev"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then
  echo "install-deps: all packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to install:$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
echo "install-deps: installed$missing"
