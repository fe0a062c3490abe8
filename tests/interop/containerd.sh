#!/bin/bash
# containerd (Debian's 1.6) with `ctr run --runc-binary` pointing at podrun:
# a private containerd (root, state, socket, config under the temp dir) that
# this script starts and stops, an image imported from an OCI archive built
# here from the busybox rootfs (tar + sha256sum + jq, no registry).
. "$(dirname "$0")/common.sh"
command -v containerd >/dev/null && command -v ctr >/dev/null ||
  { echo "1..0 # skip containerd/ctr not installed"; exit 0; }
command -v jq >/dev/null || { echo "1..0 # skip jq not installed"; exit 0; }

C="$IO_TMP/containerd"
SOCK="$C/containerd.sock"
NS=io$$
CTR_PID=
mkdir -p "$C/root" "$C/state"
cat >"$C/config.toml" <<T
version = 2
root = "$C/root"
state = "$C/state"
# no CRI (it wants CNI) and no snapshotters this host cannot use
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.internal.v1.opt",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
T
cat >"$C/ctr" <<W
#!/bin/sh
exec ctr -a '$SOCK' -n '$NS' "\$@"
W
chmod 0755 "$C/ctr"
ctr=$C/ctr
# the shim keeps runc's state under /run/containerd/runc/NAMESPACE
RT_STATE=/run/containerd/runc/$NS

io_cleanup() {
  set +e
  for t in $($ctr task ls -q 2>/dev/null); do
    $ctr task kill -s SIGKILL "$t" >/dev/null 2>&1
    for _ in $(seq 50); do $ctr task ls 2>/dev/null | grep -q "^$t .*RUNNING\|^$t .*PAUSED" || break; sleep 0.1; done
    $ctr task rm -f "$t" >/dev/null 2>&1
  done
  for c in $($ctr c ls -q 2>/dev/null); do $ctr c rm "$c" >/dev/null 2>&1; done
  for i in $($ctr i ls -q 2>/dev/null); do $ctr i rm "$i" >/dev/null 2>&1; done
  $ctr namespaces rm "$NS" >/dev/null 2>&1
  if [ -n "$CTR_PID" ]; then
    kill "$CTR_PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$CTR_PID" 2>/dev/null || break; sleep 0.1; done
  fi
  # shims of this daemon only: their command line names our socket
  for p in $(pgrep -f -- "-address $SOCK" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  findmnt -rn -o TARGET | grep "^$IO_TMP/" | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf "$RT_STATE"
  # containerd's per-namespace parent cgroup (/NS/ID is the runtime's)
  for d in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/unified/"$NS" /sys/fs/cgroup/"$NS"; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null
  done
  io_keep_log
  rm -rf "$IO_TMP"
}
trap io_cleanup EXIT
trap 'exit 130' INT TERM

# An OCI image layout archive: one uncompressed layer, config, manifest.
oci_archive_make() {
  local o="$IO_TMP/oci" layer cfg man ls cs ms
  mkdir -p "$o/blobs/sha256"
  layer=$(sha256sum "$IO_TMP/rootfs.tar" | cut -d' ' -f1)
  ls=$(stat -c %s "$IO_TMP/rootfs.tar")
  cp "$IO_TMP/rootfs.tar" "$o/blobs/sha256/$layer"
  jq -cn --arg d "sha256:$layer" '{architecture:"amd64",os:"linux",
    config:{Env:["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],Cmd:["sh"]},
    rootfs:{type:"layers",diff_ids:[$d]}}' >"$o/config.json"
  cfg=$(sha256sum "$o/config.json" | cut -d' ' -f1)
  cs=$(stat -c %s "$o/config.json")
  mv "$o/config.json" "$o/blobs/sha256/$cfg"
  jq -cn --arg c "sha256:$cfg" --argjson cs "$cs" --arg l "sha256:$layer" --argjson ls "$ls" \
    '{schemaVersion:2,mediaType:"application/vnd.oci.image.manifest.v1+json",
      config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$c,size:$cs},
      layers:[{mediaType:"application/vnd.oci.image.layer.v1.tar",digest:$l,size:$ls}]}' \
    >"$o/manifest.json"
  man=$(sha256sum "$o/manifest.json" | cut -d' ' -f1)
  ms=$(stat -c %s "$o/manifest.json")
  mv "$o/manifest.json" "$o/blobs/sha256/$man"
  jq -cn --arg m "sha256:$man" --argjson ms "$ms" \
    '{schemaVersion:2,manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",
      digest:$m,size:$ms,platform:{architecture:"amd64",os:"linux"},
      annotations:{"io.containerd.image.name":"localhost/io-busybox:latest",
                   "org.opencontainers.image.ref.name":"latest"}}]}' >"$o/index.json"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$o/oci-layout"
  tar -C "$o" -cf "$IO_TMP/oci.tar" oci-layout index.json blobs
}

io_wrapper_make
io_rootfs_tar
oci_archive_make
containerd --config "$C/config.toml" --root "$C/root" --state "$C/state" --address "$SOCK" \
  >"$C/containerd.log" 2>&1 &
CTR_PID=$!
for _ in $(seq 300); do
  ctr -a "$SOCK" version >/dev/null 2>&1 && break
  kill -0 "$CTR_PID" 2>/dev/null || break
  sleep 0.1
done
echo "# containerd $(containerd --version | awk '{print $3}') with $RUNTIME"
io_check "containerd up" ctr -a "$SOCK" version
io_check "ctr images import" $ctr images import --no-unpack=false "$IO_TMP/oci.tar"
[ "$IO_FAIL" -eq 0 ] || { tail -20 "$C/containerd.log"; exit 1; }
img=localhost/io-busybox:latest
run="$ctr run --runc-binary $IO_TMP/runtime --snapshotter native"

io_expect "run --rm" "hello" $run --rm $img io-r$$ echo hello
io_expect "run --rm exit status" "7" sh -c '"$@" >/dev/null 2>&1; echo $?' sh $run --rm $img io-x$$ sh -c 'exit 7'
# ctr -t wants a terminal of its own: script(1) gives it one
if command -v script >/dev/null; then
  io_expect "run --rm -t (console socket)" "tty-ok" sh -c 'script -qec "$*" /dev/null </dev/null | grep -o tty-ok' sh \
    $run --rm -t $img io-t$$ echo tty-ok
fi

# a failed create: the shim reads the runtime's --log (JSON lines) and
# passes the last error message on; it must name the missing command
io_expect "run: error message from --log-format json" "1" sh -c '"$@" 2>&1 | grep -c "nonexistent.*no such file or directory\|no such file or directory.*nonexistent"' sh \
  $run --rm $img io-e$$ /nonexistent


c=io-c$$
io_check "run -d --memory-limit" $run -d --memory-limit 67108864 $img $c sleep 1000
# ctr's default spec has no cgroup mount: the limit is read on the host
io_expect "memory limit in the container's cgroup" "67108864" sh -c \
  'f=/sys/fs/cgroup/memory/$1/memory.limit_in_bytes; [ -f $f ] || f=/sys/fs/cgroup/$1/memory.max; cat $f' sh $NS/$c
io_expect "task RUNNING" "RUNNING" sh -c '"$@" | awk -v c='$c' "\$1==c{print \$3}"' sh $ctr task ls
io_expect "task exec" "exec-ok" $ctr task exec --exec-id e1 $c echo exec-ok
io_expect "task exec exit status" "5" sh -c '"$@" >/dev/null 2>&1; echo $?' sh $ctr task exec --exec-id e2 $c sh -c 'exit 5'
io_check "task ps" $ctr task ps $c
# a second container in the first one's net and pid namespaces (a pod);
# the shim kills such a container with `kill --all` (no pid ns of its own)
pid=$($ctr task ls | awk -v c=$c '$1==c{print $2}')
io_check "run -d --with-ns net,pid (pod member)" $run -d --with-ns network:/proc/$pid/ns/net \
  --with-ns pid:/proc/$pid/ns/pid $img ${c}b sleep 1001
io_expect "pod member: same netns" "$(readlink /proc/$pid/ns/net)" $ctr task exec --exec-id e3 ${c}b readlink /proc/self/ns/net
io_expect "pod member: sees the first's sleep" "1" sh -c '"$@" | grep -c "sleep 1000$"' sh $ctr task exec --exec-id e4 ${c}b ps
# killing the member's init: the shim then runs `kill --all` on the
# stopped container for what is left (the exec'd sleep); runc takes that
io_check "pod member: exec -d" $ctr task exec -d --exec-id e5 ${c}b sleep 1002
io_check "pod member: kill init" $ctr task kill -s SIGKILL ${c}b
stopped_b() {
  for _ in $(seq 300); do
    [ "$($ctr task ls | awk -v c=${c}b '$1==c{print $3}')" = STOPPED ] && return 0
    sleep 0.1
  done
  return 1
}
if stopped_b; then io_check "pod member: STOPPED" true; else io_check "pod member: STOPPED" false; fi
left() {
  for _ in $(seq 100); do
    $ctr task exec --exec-id e6$RANDOM $c ps | grep -q "sleep 1002$" || return 0
    sleep 0.1
  done
  return 1
}
if left; then io_check "pod member: its exec'd process was killed too" true; else
  io_check "pod member: its exec'd process was killed too" false; fi
io_check "pod member: task rm" $ctr task rm ${c}b
io_check "pod member: container rm" $ctr container rm ${c}b
io_check "task pause" $ctr task pause $c
io_expect "task PAUSED" "PAUSED" sh -c '"$@" | awk -v c='$c' "\$1==c{print \$3}"' sh $ctr task ls
io_check "task resume" $ctr task resume $c
io_expect "task RUNNING again" "RUNNING" sh -c '"$@" | awk -v c='$c' "\$1==c{print \$3}"' sh $ctr task ls
io_check "task metrics" $ctr task metrics $c
io_check "task kill" $ctr task kill -s SIGKILL $c
stopped() {
  for _ in $(seq 300); do
    [ "$($ctr task ls | awk -v c=$c '$1==c{print $3}')" = STOPPED ] && return 0
    sleep 0.1
  done
  return 1
}
if stopped; then io_check "task STOPPED after kill" true; else io_check "task STOPPED after kill" false; fi
io_check "task rm" $ctr task rm $c
io_check "container rm" $ctr container rm $c

io_summary containerd
