#!/usr/bin/env bats
# The defences of docs/security.md, each attacked from inside a container
# the way the CVE did; every test here fails against a podrun without the
# defence (docs/security.md says how each was checked).
#   CVE-2019-5736   /proc/PID/exe of podrun, #!/proc/self/exe
#   CVE-2021-30465  symlinks in the rootfs under mounts, cwd, maskedPaths
#   CVE-2024-21626  leaked fds, a cwd through /proc/self/fd/N
#   CVE-2019-19921  /proc and /sys that are symlinks or files
# The binary attacked is the suite's snapshot of podrun ($RUNTIME, a copy
# made by setup_file), never build/podrun itself.

load lib/runtime
bats_require_minimum_version 1.5.0

setup_file() {
	RT_TOKEN=se$$
	RT_MARK=PODKIT_IT=$RT_TOKEN
	rt_setup_file
}

teardown() {
	rt_cleanup
}

teardown_file() {
	rt_teardown_file
}

# sec_bundle NAME: a bundle with a writable rootfs of its own (a real copy:
# the tests add files and fifos to it).
sec_bundle() {
	local b
	b=$(bundle_make "$1")
	rm -rf "$b/rootfs"
	cp -a "$RT_ROOTFS" "$b/rootfs"
	bundle_set "$1" '.root.readonly=false'
	echo "$b"
}

# fd_numbers FILE: the fd numbers of an `ls -l /proc/self/fd` listing,
# without the directory ls itself has open to list them.
fd_numbers() {
	awk '$NF !~ /^\/proc\/[0-9]+\/fd$/ && $(NF-1) == "->" { print $(NF-2) }' "$1" | sort -n | tr '\n' ' '
}

# ---- CVE-2019-5736 ----

# The attacker: hold /proc/PID/exe of the process running the #! script,
# release it (it blocks opening /fifo for its --log), wait for it to exit,
# then try to append to the file through the held fd.
attack_script() {
	cat <<'EOF'
#!/bin/sh
t=
for p in /proc/[0-9]*; do
	case "$(tr '\0' ' ' <$p/cmdline 2>/dev/null)" in *"/entry"*) t=${p#/proc/} ;; esac
done
echo "target ${t:-none}"
# a failed `exec 3<` would end the shell: try in a subshell first
if [ -n "$t" ] && (: <"/proc/$t/exe") 2>/dev/null && exec 3<"/proc/$t/exe"; then
	echo "held"
	cat /fifo >/dev/null &
	i=0
	while [ $i -lt 1500 ]; do
		s=$(cut -d' ' -f3 "/proc/$t/stat" 2>/dev/null)
		[ -z "$s" ] || [ "$s" = Z ] && break
		sleep 0.02
		i=$((i + 1))
	done
	if (echo PWNED >>/proc/self/fd/3) 2>/err; then echo WROTE; else echo "refused $(cat /err)"; fi
else
	echo "no handle"
fi
echo done
EOF
}

@test "CVE-2019-5736: a #!/proc/self/exe process exec'd into the container cannot overwrite podrun" {
	b=$(sec_bundle exe1)
	mkfifo "$b/rootfs/fifo"
	# podrun's --log FILE blocks on a fifo: a podrun run as this interpreter
	# would wait there for the attacker
	printf '#!/proc/self/exe --log=/fifo\n' >"$b/rootfs/entry"
	attack_script >"$b/rootfs/attack"
	chmod 0755 "$b/rootfs/entry" "$b/rootfs/attack"
	bundle_args exe1 sleep 1000
	before=$(sha256sum <"$RUNTIME")
	id=$(new_id)
	rt run -d -b "$b" "$id"
	rt exec -d "$id" /entry
	# no podrun process may run the attacker: a running binary can't be
	# written (ETXTBSY), the attack waits for podrun to be gone
	rt exec -d "$id" sh -c '/attack >/out 2>&1'
	poll 60 file_has "$b/rootfs/out" '^done'
	cat "$b/rootfs/out"
	! grep -q WROTE "$b/rootfs/out"
	[ "$(sha256sum <"$RUNTIME")" = "$before" ]
	# the #! script ran the sealed stub, which refuses to be an interpreter
	run -127 rt exec "$id" /entry
	[[ "$output" != *"unknown command"* ]]
}

@test "CVE-2019-5736: /proc/1/exe of a created container is closed to its processes" {
	b=$(sec_bundle exe2)
	cat >"$b/rootfs/attack" <<'EOF'
#!/bin/sh
if (: </proc/1/exe) 2>/dev/null && exec 3</proc/1/exe; then
	echo "held $(readlink /proc/self/fd/3)"
	i=0
	while [ ! -e /go ] && [ $i -lt 1500 ]; do sleep 0.02; i=$((i + 1)); done
	if (echo PWNED >>/proc/self/fd/3) 2>/err; then echo WROTE; else echo "refused $(cat /err)"; fi
else
	echo "no handle"
fi
echo done
EOF
	chmod 0755 "$b/rootfs/attack"
	bundle_args exe2 sleep 1000
	before=$(sha256sum <"$RUNTIME")
	id=$(new_id)
	rt create -b "$b" "$id"
	# pid 1 is podrun's child waiting for `start`, with the container's
	# own capabilities by now
	run rt exec "$id" sh -c 'readlink /proc/1/exe && echo readable'
	peek=$output
	rt exec -d "$id" sh -c '/attack >/out 2>&1'
	poll 30 file_has "$b/rootfs/out" '^held\|^no handle'
	rt start "$id"
	wait_status "$id" running
	touch "$b/rootfs/go"
	poll 60 file_has "$b/rootfs/out" '^done'
	cat "$b/rootfs/out"
	echo "peek: $peek"
	grep -q '^no handle' "$b/rootfs/out"
	[ "$(sha256sum <"$RUNTIME")" = "$before" ]
	[[ "$peek" != *readable* ]]
}

@test "CVE-2019-5736: an init that is a #!/proc/self/exe script does not run podrun" {
	b=$(sec_bundle exe3)
	printf '#!/proc/self/exe\n' >"$b/rootfs/entry"
	chmod 0755 "$b/rootfs/entry"
	bundle_args exe3 /entry
	before=$(sha256sum <"$RUNTIME")
	run -127 rt run -b "$b" "$(new_id)"
	# podrun itself would have printed its usage
	[[ "$output" != *usage* ]]
	[ "$(sha256sum <"$RUNTIME")" = "$before" ]
}

# ---- CVE-2021-30465 class ----

@test "CVE-2021-30465: mount destinations through absolute, relative and volume symlinks stay in the rootfs" {
	host=$RT_TMP/hostdir
	vol=$RT_TMP/volume
	rm -rf "$host" "$vol"
	mkdir -p "$host" "$vol"
	echo host >"$host/marker"
	b=$(sec_bundle m1)
	ln -s "$host" "$b/rootfs/abs"
	ln -s "../../../../../../../../..$host" "$b/rootfs/rel"
	# appears only once the first mount is made: a volume shared with
	# another container that planted the link
	ln -s "$host" "$vol/planted"
	bundle_set m1 '.mounts += [
		{destination:"/abs/a", type:"tmpfs", source:"tmpfs"},
		{destination:"/rel/r", type:"tmpfs", source:"tmpfs"},
		{destination:"/vol", type:"bind", source:$v, options:["rbind","rw"]},
		{destination:"/vol/planted/v", type:"tmpfs", source:"tmpfs"}]' --arg v "$vol"
	bundle_args m1 sh -c "awk '{print \$2}' /proc/mounts; ls $host"
	run rt run -b "$b" "$(new_id)"
	echo "$output"
	[ "$status" -eq 0 ]
	# inside: the mounts are at the link targets under the rootfs
	[[ "$output" == *"$host/a"* ]]
	[[ "$output" == *"$host/r"* ]]
	[[ "$output" == *"$host/v"* ]]
	[[ "$output" != *marker* ]]
	# outside: nothing made in, or mounted on, the host's directory
	[ "$(ls "$host")" = marker ]
	[ -z "$(mounts_under "$host")" ]
	[ -d "$b/rootfs$host/a" ]
}

@test "CVE-2021-30465: a process.cwd symlink resolves in the rootfs" {
	host=$RT_TMP/hostcwd
	rm -rf "$host"
	mkdir -p "$host"
	echo host >"$host/marker"
	b=$(sec_bundle c1)
	mkdir -p "$b/rootfs$host"
	echo inner >"$b/rootfs$host/inner"
	ln -s "$host" "$b/rootfs/work"
	bundle_set c1 '.process.cwd="/work"'
	bundle_args c1 sh -c 'pwd; ls'
	run rt run -b "$b" "$(new_id)"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$host" ]
	[ "${lines[1]}" = inner ]
	# a missing cwd is made, under the rootfs, not through the link
	ln -s "$host/made" "$b/rootfs/work2"
	bundle_set c1 '.process.cwd="/work2"'
	run rt run -b "$b" "$(new_id)"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$host/made" ]
	[ ! -e "$host/made" ]
	[ -d "$b/rootfs$host/made" ]
}

@test "CVE-2021-30465: maskedPaths resolve in the rootfs; one through a /proc magic link is refused" {
	b=$(sec_bundle k1)
	echo secret >"$b/rootfs/etc/secret"
	ln -s /etc/secret "$b/rootfs/masklink"
	bundle_set k1 '.linux.maskedPaths += ["/masklink"]'
	bundle_args k1 sh -c 'echo "[$(cat /masklink)][$(cat /etc/secret)]"'
	run rt run -b "$b" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = "[][]" ]
	# a link to an fd of podrun's (the state dir, the sync socket ...)
	for n in 3 4 5 6 7 8 9; do
		ln -sfn "/proc/self/fd/$n" "$b/rootfs/masklink"
		run rt run -b "$b" "$(new_id)"
		echo "fd $n: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"linux.maskedPaths: /masklink"* ]]
	done
}

# ---- CVE-2024-21626 class ----

@test "CVE-2024-21626: the fd table is stdio (+ --preserve-fds) for run, create+start and exec" {
	b=$(sec_bundle f1)
	bundle_args f1 sh -c 'ls -l /proc/self/fd >/fds; exec sleep 1000'
	# fds the caller has open (bats has more) must not show up either
	exec 7</etc/hostname 8</etc/hostname
	id=$(new_id)
	rt run -d -b "$b" "$id"
	poll 30 file_has "$b/rootfs/fds" ' 2 ->'
	cat "$b/rootfs/fds"
	[ "$(fd_numbers "$b/rootfs/fds")" = "0 1 2 " ]
	run rt exec "$id" ls -l /proc/self/fd
	echo "$output" >"$b/exec.fds"
	[ "$(fd_numbers "$b/exec.fds")" = "0 1 2 " ]
	run rt exec --preserve-fds 2 "$id" ls -l /proc/self/fd 3</etc/hostname 4</etc/hostname
	echo "$output" >"$b/exec2.fds"
	cat "$b/exec2.fds"
	[ "$(fd_numbers "$b/exec2.fds")" = "0 1 2 3 4 " ]
	rt delete -f "$id"

	rm -f "$b/rootfs/fds"
	id=$(new_id)
	rt create --preserve-fds 1 -b "$b" "$id" 3</etc/hostname
	rt start "$id"
	poll 30 file_has "$b/rootfs/fds" ' 2 ->'
	cat "$b/rootfs/fds"
	[ "$(fd_numbers "$b/rootfs/fds")" = "0 1 2 3 " ]
	grep -q ' 3 -> /etc/hostname' "$b/rootfs/fds" || grep -q ' 3 -> .*hostname' "$b/rootfs/fds"
	exec 7<&- 8<&-
}

# create_logged BUNDLE ID: create with the output in a file, so that a
# container that does get created (a podrun without the defence) does not
# hold `run`'s pipe open.
create_logged() {
	local s=0
	rt create -b "$1" "$2" >"$RT_TMP/create.log" 2>&1 </dev/null || s=$?
	cat "$RT_TMP/create.log"
	return "$s"
}

@test "CVE-2024-21626: a process.cwd through /proc/self/fd/N fails at create" {
	b=$(sec_bundle f2)
	bundle_args f2 sh -c 'pwd; ls ..'
	for n in 3 4 5 6 7 8 9 10; do
		bundle_set f2 '.process.cwd=$c' --arg c "/proc/self/fd/$n"
		run create_logged "$b" "$(new_id)"
		echo "fd $n: $output"
		[ "$status" -ne 0 ]
		[[ "$output" == *process.cwd* ]]
	done
	# and a symlink in the rootfs leading there
	ln -s /proc/self/fd/5 "$b/rootfs/cwdlink"
	bundle_set f2 '.process.cwd="/cwdlink"'
	run create_logged "$b" "$(new_id)"
	[ "$status" -ne 0 ]
	[[ "$output" == *process.cwd* ]]
}

# ---- CVE-2019-19921 class ----

@test "CVE-2019-19921: a /proc that is a symlink in the rootfs is refused" {
	b=$(sec_bundle p1)
	mkdir -p "$b/rootfs/evil"
	rmdir "$b/rootfs/proc"
	ln -s /evil "$b/rootfs/proc"
	bundle_args p1 true
	run rt run -b "$b" "$(new_id)"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/proc"*"ordinary directory"*symlink* ]]
	# nothing got mounted where the link points
	[ -z "$(ls -A "$b/rootfs/evil")" ]
}

@test "CVE-2019-19921: a /sys that is a file, or a proc mount on a symlink elsewhere, is refused" {
	b=$(sec_bundle p2)
	rmdir "$b/rootfs/sys"
	echo file >"$b/rootfs/sys"
	bundle_args p2 true
	run rt run -b "$b" "$(new_id)"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/sys"*"ordinary directory"*file* ]]

	b=$(sec_bundle p3)
	mkdir -p "$b/rootfs/target"
	ln -s /target "$b/rootfs/proc2"
	bundle_set p3 '.mounts += [{destination:"/proc2", type:"proc", source:"proc"}]'
	bundle_args p3 true
	run rt run -b "$b" "$(new_id)"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"mount proc on /proc2"*symlink* ]]
}
