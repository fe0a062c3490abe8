#!/bin/bash
# podman (Debian's 4.3) driving podrun through --runtime: private storage,
# run root, config and events file; cgroupfs manager; no network access
# (the image comes from a local busybox tarball, containers use
# --network none since neither netavark nor the CNI plugins are installed).
. "$(dirname "$0")/common.sh"
command -v podman >/dev/null || { echo "1..0 # skip podman not installed"; exit 0; }

P="$IO_TMP/podman"
mkdir -p "$P/root" "$P/runroot" "$P/tmp"
cat >"$P/containers.conf" <<C
[containers]
netns = "none"
# podman asks for nofile/nproc of 1048576; without CAP_SYS_RESOURCE (as in
# a sandbox) the host's hard limits are the most a runtime may set
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
C
cat >"$P/storage.conf" <<C
[storage]
driver = "vfs"
graphroot = "$P/root"
runroot = "$P/runroot"
C
: >"$P/registries.conf"
export CONTAINERS_CONF="$P/containers.conf" CONTAINERS_STORAGE_CONF="$P/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$P/registries.conf"

# a script, not a function: io_check runs commands under timeout(1)
cat >"$P/pm" <<C
#!/bin/sh
exec podman --root '$P/root' --runroot '$P/runroot' --storage-driver vfs \\
  --runtime '$IO_TMP/runtime' --cgroup-manager cgroupfs --events-backend file \\
  --tmpdir '$P/tmp' "\$@"
C
chmod 0755 "$P/pm"
pm=$P/pm

io_cleanup() {
  set +e
  $pm pod rm -a -f -t 0 >/dev/null 2>&1
  $pm rm -a -f -t 0 >/dev/null 2>&1
  # podman's per-container shm and the storage mounts live under IO_TMP
  findmnt -rn -o TARGET | grep "^$IO_TMP/" | sort -r | while read -r m; do umount -l "$m"; done
  io_keep_log
  rm -rf "$IO_TMP"
}
trap io_cleanup EXIT
trap 'exit 130' INT TERM

# The runtime's state in a private root: podman 4.3 passes no --root, and a
# --runtime-flag root=... is not handed on to the `podman container cleanup`
# that conmon runs on exit (its `delete --force` would miss the state).
io_wrapper_make --root "$P/rtroot"
io_rootfs_tar
echo "# podman $(podman --version | awk '{print $3}') with $RUNTIME"
img=localhost/io-busybox:latest
io_check "podman import" $pm import "$IO_TMP/rootfs.tar" $img
[ "$IO_FAIL" -eq 0 ] || exit 1
run="$pm run --network none"

io_expect "run --rm" "hello" $run --rm $img echo hello
io_expect "run --rm exit status" "7" sh -c '"$@" >/dev/null 2>&1; echo $?' sh $run --rm $img sh -c 'exit 7'
io_expect "run --rm hostname" "io-h$$" $run --rm --hostname io-h$$ $img hostname

# podman maps the runtime's error text to 127 (no such command) and 126 (not
# executable), so the wording of podrun's errors matters here
io_expect "run: missing command is 127" "127" sh -c '"$@" >/dev/null 2>&1; echo $?' sh $run --rm $img /nonexistent
io_expect "run: non-executable is 126" "126" sh -c '"$@" >/dev/null 2>&1; echo $?' sh $run --rm $img /etc/passwd
io_expect "run -t (console socket)" "tty-ok" sh -c '"$@" | tr -d "\r"' sh $run --rm -t $img echo tty-ok

# config.json features as podman writes them, seen from inside
io_expect "run --user" "1000:1000" $run --rm --user 1000:1000 $img sh -c 'echo $(id -u):$(id -g)' 
io_expect "run --cap-drop all" "CapEff:	0000000000000000" $run --rm --cap-drop all $img grep CapEff /proc/self/status
io_expect "run --read-only" "ro" sh -c '"$@" 2>/dev/null' sh $run --rm --read-only $img sh -c 'touch /x 2>/dev/null && echo rw || echo ro'
io_expect "run --pids-limit (cgroup file)" "50" $run --rm --pids-limit 50 $img sh -c \
  'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'
io_expect "run --ulimit" "512" $run --rm --ulimit nofile=512:512 --ulimit nproc=4096:4096 $img sh -c 'ulimit -n'

# a private cgroup namespace: the fresh cgroup mount is the container's own
io_expect "run --cgroupns private (cgroup file)" "50" $run --rm --cgroupns private --pids-limit 50 $img sh -c \
  'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max'

c=io-c$$
io_check "run -d" $run -d --name $c $img sleep 1000
io_expect "exec" "exec-ok" $pm exec $c echo exec-ok
io_expect "exec sees the container's hostname" "$($pm inspect -f '{{.Config.Hostname}}' $c 2>/dev/null)" $pm exec $c hostname
io_expect "exec exit status" "5" sh -c '"$@" >/dev/null 2>&1; echo $?' sh $pm exec $c sh -c 'exit 5'
io_check "top (ps)" $pm top $c
io_expect "exec -t (console socket)" "tty-ok" sh -c '"$@" | tr -d "\r"' sh $pm exec -t $c echo tty-ok
io_expect "exec --user" "1000:1000" $pm exec --user 1000:1000 $c sh -c 'echo $(id -u):$(id -g)' 
io_check "restart" $pm restart -t 2 $c
io_expect "running after restart" "running" $pm inspect -f '{{.State.Status}}' $c
# --sync re-checks the status (podman 4.3 answers from conmon and cgroup
# files: it calls no `state`, see docs/interop.md)
io_expect "ps --sync" "running" sh -c '"$@" | jq -r ".[0].State"' sh \
  $pm ps -a --sync --filter name=$c --format json
io_check "pause" $pm pause $c
io_expect "status paused" "paused" $pm inspect -f '{{.State.Status}}' $c
io_expect "ps --sync while paused" "paused" sh -c '"$@" | jq -r ".[0].State"' sh \
  $pm ps -a --sync --filter name=$c --format json
io_check "unpause" $pm unpause $c
io_expect "status running" "running" $pm inspect -f '{{.State.Status}}' $c
if $pm update --help >/dev/null 2>&1; then
  io_check "update --memory" $pm update --memory 64m $c
  io_expect "update took effect" "67108864" sh -c '"$@" | tr -d "\r"' sh $pm exec $c sh -c \
    'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes'
else
  echo "ok - update # skip podman $(podman --version | awk '{print $3}') has no update command"
fi
io_check "stop" $pm stop -t 2 $c
io_expect "status exited" "exited" $pm inspect -f '{{.State.Status}}' $c
io_check "rm" $pm rm $c

pod=io-pod$$
# The infra container is our busybox running sleep: the default infra image
# would be built from catatonit, which is not installed.
io_check "pod create" $pm pod create --name $pod --network none --hostname io-podh$$ \
  --infra-image $img --infra-command "sleep 100000"
io_check "pod: first container" $pm run -d --pod $pod --name ${pod}a $img sleep 1000
io_check "pod: second container" $pm run -d --pod $pod --name ${pod}b $img sleep 1000
io_expect "pod: running, infra + 2 containers" "Running 3" \
  $pm pod ps --filter name=$pod --format '{{.Status}} {{.NumberOfContainers}}'
io_expect "pod: shared hostname" "io-podh$$" $pm exec ${pod}b hostname
ns_a=$($pm exec ${pod}a sh -c 'for n in net ipc uts; do readlink /proc/self/ns/$n; done' 2>&1) || true
io_expect "pod: same net/ipc/uts namespaces" "$ns_a" $pm exec ${pod}b sh -c 'for n in net ipc uts; do readlink /proc/self/ns/$n; done'
io_check "pod stop" $pm pod stop -t 2 $pod
io_check "pod rm" $pm pod rm -f -t 0 $pod

# a shared pid namespace: podman stops such containers with `kill --all`
pod2=io-pid$$
io_check "pod --share pid: create" $pm pod create --name $pod2 --network none --share pid,ipc,uts \
  --infra-image $img --infra-command "sleep 100000"
io_check "pod --share pid: container" $pm run -d --pod $pod2 --name ${pod2}a $img sleep 1000
io_expect "pod --share pid: sees the infra's sleep" "1" sh -c '"$@" | grep -c "sleep 100000"' sh \
  $pm exec ${pod2}a ps
io_check "pod --share pid: stop (kill --all)" $pm pod stop -t 2 $pod2
io_expect "pod --share pid: exited" "Exited" $pm pod ps --filter name=$pod2 --format '{{.Status}}'
io_check "pod --share pid: rm" $pm pod rm -f -t 0 $pod2

# the version podman reports for the runtime
io_expect "podman info: runtime path" "$IO_TMP/runtime" $pm info --format '{{.Host.OCIRuntime.Path}}'

io_summary podman
