#!/usr/bin/env bats
# config.json mounts as the container sees them: host bind mounts rw and ro
# (seed 000's /app), tmpfs, the default mounts, masked and readonly paths,
# /dev, and symlinks in the rootfs that must not send a mount outside it.

load lib/runtime

# app_dir NAME: a host directory with a file and a script in it.
app_dir() {
	local d=$RT_TMP/$1
	rm -rf "$d"
	mkdir -p "$d"
	echo from-host >"$d/hostfile"
	printf '#!/bin/sh\necho app-says-hello "$@"\n' >"$d/main"
	chmod 0755 "$d/main"
	echo "$d"
}

@test "bind rbind,rw (seed 000's /app): host files seen, writes from inside land on the host" {
	app=$(app_dir app)
	bundle_make b >/dev/null
	bundle_set b '.mounts += [{destination:"/app", type:"bind", source:$s, options:["rbind","rw"]}]' --arg s "$app"
	bundle_args b sh -c 'cat /app/hostfile && echo from-container >/app/newfile && echo wrote'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	[ "${lines[1]}" = wrote ]
	[ "$(cat "$app/newfile")" = from-container ]
}

@test "bind: seed 000's bundle runs the program from /app (terminal false, readonly false)" {
	app=$(app_dir app)
	bundle_make b >/dev/null
	bundle_set b '.root.readonly=false
		| .mounts += [{destination:"/app", type:"bind", source:$s, options:["rbind","rw"]}]' --arg s "$app"
	bundle_args b /app/main -p 8081
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = "app-says-hello -p 8081" ]
}

@test "bind rbind,ro: reads work, writes are refused, the host file is untouched" {
	app=$(app_dir app)
	bundle_make b >/dev/null
	bundle_set b '.mounts += [{destination:"/app", type:"bind", source:$s, options:["rbind","ro"]}]' --arg s "$app"
	# One stream: a runtime may copy stdout and stderr through separate pipes,
	# which does not keep their relative order.
	bundle_args b sh -c 'exec 2>&1; cat /app/hostfile; echo changed >/app/hostfile && echo wrote; touch /app/new && echo touched; grep " /app " /proc/mounts'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = from-host ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" != *wrote* ]]
	[[ "$output" != *touched* ]]
	grep ' /app ' <<<"$output" | grep -qE ' ro[, ]'
	[ "$(cat "$app/hostfile")" = from-host ]
	[ ! -e "$app/new" ]
}

@test "bind: a single file onto a file path" {
	app=$(app_dir app)
	bundle_make b >/dev/null
	bundle_set b '.mounts += [{destination:"/etc/it.conf", type:"bind", source:$s, options:["bind","ro"]}]' --arg s "$app/hostfile"
	bundle_args b cat /etc/it.conf
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = from-host ]
}

@test "bind: rbind carries submounts, bind does not" {
	app=$(app_dir app)
	mkdir -p "$app/sub"
	mount -t tmpfs -o size=1m ittmp "$app/sub"
	echo in-submount >"$app/sub/f"
	bundle_make b >/dev/null
	bundle_set b '.mounts += [{destination:"/r", type:"bind", source:$s, options:["rbind"]},
		{destination:"/n", type:"bind", source:$s, options:["bind"]}]' --arg s "$app"
	bundle_args b sh -c 'cat /r/sub/f; ls /n/sub | wc -l'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	umount "$app/sub"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = in-submount ]
	[ "${lines[1]}" = 0 ]
}

@test "bind: rro makes submounts read-only too (recursive read-only)" {
	app=$(app_dir app)
	mkdir -p "$app/sub"
	mount -t tmpfs -o size=1m ittmp "$app/sub"
	bundle_make b >/dev/null
	bundle_set b '.mounts += [{destination:"/r", type:"bind", source:$s, options:["rbind","rro"]}]' --arg s "$app"
	bundle_args b sh -c 'exec 2>&1; touch /r/top && echo wrote-top; touch /r/sub/f && echo wrote-sub; true'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	umount "$app/sub"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" != *wrote-top* ]]
	[[ "$output" != *wrote-sub* ]]
}

@test "bind: nosuid,nodev,noexec options are applied" {
	app=$(app_dir app)
	bundle_make b >/dev/null
	bundle_set b '.mounts += [{destination:"/app", type:"bind", source:$s, options:["rbind","nosuid","nodev","noexec"]}]' --arg s "$app"
	bundle_args b sh -c '/app/main && echo ran; grep " /app " /proc/mounts'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Permission denied"* ]]
	[[ "$output" != *ran* ]]
	opts=$(grep ' /app ' <<<"$output" | cut -d' ' -f4)
	[[ ",$opts," == *,nosuid,* ]]
	[[ ",$opts," == *,nodev,* ]]
	[[ ",$opts," == *,noexec,* ]]
}

@test "tmpfs: mounted with its options, writable under a readonly root" {
	bundle_make b >/dev/null
	bundle_set b '.root.readonly=true
		| .mounts += [{destination:"/scratch", type:"tmpfs", source:"tmpfs", options:["nosuid","size=1m","mode=1777"]}]'
	bundle_args b sh -c 'grep " /scratch " /proc/mounts; stat -c %a /scratch; echo data >/scratch/f && cat /scratch/f'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	set -- ${lines[0]}
	[ "$3" = tmpfs ]
	[[ ",$4," == *,rw,* ]]
	[[ ",$4," == *,nosuid,* ]]
	[[ ",$4," == *,size=1024k,* ]]
	[ "${lines[1]}" = 1777 ]
	[ "${lines[2]}" = data ]
}

@test "default mounts: proc, sysfs ro, /dev tmpfs, devpts, shm, mqueue, cgroup ro" {
	bundle_make b >/dev/null
	bundle_args b cat /proc/mounts
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	mnt() { awk -v d="$1" '$2 == d { print $3 " " $4 }' <<<"$output" | tail -n1; }
	[[ "$(mnt /proc)" == "proc "* ]]
	[[ "$(mnt /sys)" == "sysfs ro,"* ]]
	[[ "$(mnt /dev)" == "tmpfs "* ]]
	[[ "$(mnt /dev/pts)" == "devpts "* ]]
	[[ "$(mnt /dev/shm)" == "tmpfs "* ]]
	[[ "$(mnt /dev/mqueue)" == "mqueue "* ]]
	# With cgroup v1 /sys/fs/cgroup is a tmpfs with the hierarchies under
	# it, each read-only; with v2 it is one read-only cgroup2 mount.
	[ -n "$(mnt /sys/fs/cgroup)" ]
	n=$(awk '$2 ~ "^/sys/fs/cgroup" && $3 ~ /^cgroup/' <<<"$output" | wc -l)
	[ "$n" -ge 1 ]
	[ -z "$(awk '$2 ~ "^/sys/fs/cgroup" && $3 ~ /^cgroup/ && $4 !~ /^ro,/' <<<"$output")" ]
}

@test "masked and readonly paths" {
	bundle_make b >/dev/null
	# /proc/timer_list, /proc/keys and /sys/firmware exist on this kernel
	# (/proc/kcore does not); masked files read empty, masked dirs are empty.
	bundle_args b sh -c 'exec 2>&1; wc -c </proc/timer_list; wc -c </proc/keys; ls /sys/firmware | wc -l
		grep " /proc/sys " /proc/mounts | cut -d" " -f4
		echo 1 >/proc/sys/kernel/ns_last_pid && echo wrote; true'
	[ -n "$(ls /sys/firmware)" ]
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = 0 ]
	[[ "${lines[3]}" == ro,* ]]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" != *wrote* ]]
}

@test "/dev: the default nodes and links" {
	bundle_make b >/dev/null
	bundle_args b sh -c 'for n in null zero full random urandom tty; do stat -c "%n %F %a %t:%T" /dev/$n; done
		for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done
		echo x >/dev/null && head -c 3 /dev/zero | od -An -tx1'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	grep -qx '/dev/null character special file 666 1:3' <<<"$output"
	grep -qx '/dev/zero character special file 666 1:5' <<<"$output"
	grep -qx '/dev/full character special file 666 1:7' <<<"$output"
	grep -qx '/dev/random character special file 666 1:8' <<<"$output"
	grep -qx '/dev/urandom character special file 666 1:9' <<<"$output"
	grep -qx '/dev/tty character special file 666 5:0' <<<"$output"
	grep -qx 'fd -> /proc/self/fd' <<<"$output"
	grep -qx 'stdin -> /proc/self/fd/0' <<<"$output"
	grep -qx 'stdout -> /proc/self/fd/1' <<<"$output"
	grep -qx 'stderr -> /proc/self/fd/2' <<<"$output"
	grep -qx 'ptmx -> pts/ptmx' <<<"$output"
	[ "${lines[-1]}" = " 00 00 00" ]
}

@test "a symlink in the rootfs cannot send a mount destination outside it" {
	outside=$RT_TMP/outside
	rm -rf "$outside"
	mkdir -p "$outside"
	b=$(bundle_make b)
	# Absolute and relative escapes, both resolved as if rootfs were /.
	ln -s "$outside" "$b/rootfs/escape-abs"
	ln -s ../../../../../../../../../.. "$b/rootfs/escape-rel"
	bundle_set b '.root.readonly=false
		| .mounts += [{destination:"/escape-abs/m", type:"tmpfs", source:"tmpfs", options:["size=1m"]},
			{destination:"/escape-rel/it-m2", type:"tmpfs", source:"tmpfs", options:["size=1m"]}]'
	bundle_args b sh -c 'echo in >/escape-abs/m/f && echo in >/escape-rel/it-m2/f && echo ok'
	run rt run -b "$(bundle_dir b)" "$(new_id)"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
	# Nothing was made or mounted on the host side of either link.
	[ -z "$(ls -A "$outside")" ]
	[ ! -e /it-m2 ]
	[ -z "$(mounts_under "$outside")" ]
	[ -d "$b/rootfs$outside/m" ]
}

@test "container mounts stay in the container's mount namespace" {
	app=$(app_dir app)
	b=$(bundle_make b)
	bundle_set b '.mounts += [{destination:"/app", type:"bind", source:$s, options:["rbind","rw"]}]' --arg s "$app"
	bundle_args b sleep 1000
	id=$(new_id)
	run_file rt run -d -b "$b" "$id"
	[ "$status" -eq 0 ]
	[ -z "$(mounts_under "$b")" ]
	pid=$(rt_state_field "$id" pid)
	# Seen from the container: the bind mount is there.
	grep -q ' /app ' "/proc/$pid/mounts"
	rt delete -f "$id"
	[ -z "$(mounts_under "$b")" ]
	# Nothing anywhere under the suite dir (bundles, state root); the host
	# table as a whole is not compared: other suites run alongside.
	[ -z "$(mounts_under "$RT_TMP")" ]
}
