#!/bin/sh
# mkrootfs.sh DIR: a minimal busybox root filesystem from Debian's
# busybox-static.  Nothing is downloaded.  Used by tests, examples and the demo.
set -eu
usage() { echo "usage: $0 DIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
dir=$1
bb=${BUSYBOX:-/bin/busybox}
if ! [ -x "$bb" ] || ! "$bb" --list-full >/dev/null 2>&1; then
  echo "mkrootfs: $bb is not a busybox binary (install busybox-static)" >&2
  exit 1
fi
if ! ldd "$bb" 2>&1 | grep -q -e 'not a dynamic' -e 'statically'; then
  echo "mkrootfs: $bb is not statically linked (install busybox-static)" >&2
  exit 1
fi
mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin etc tmp proc sys dev root home var/tmp var/log run mnt opt
chmod 1777 tmp var/tmp
cp "$bb" bin/busybox
chmod 0755 bin/busybox
"$bb" --list-full | while read -r applet; do
  case "$applet" in
  bin/busybox) continue ;;
  esac
  [ -e "$applet" ] || [ -L "$applet" ] || ln -s /bin/busybox "$applet"
done
cat >etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >etc/group <<'G'
root:x:0:
daemon:x:1:
tty:x:5:
www-data:x:33:
users:x:100:user
user:x:1000:
nogroup:x:65534:
G
cat >etc/hosts <<'H'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
H
printf 'hosts: files dns\n' >etc/nsswitch.conf
: >etc/resolv.conf
echo podkit >etc/hostname
mkdir -p home/user
chown 1000:1000 home/user 2>/dev/null || true
echo "mkrootfs: busybox rootfs in $dir"
