#!/usr/bin/env bats
# State under --root with a lock per container: 50 parallel runs of distinct
# IDs all succeed; of two parallel creates of one ID exactly one wins; a
# create stuck in a hook does not hold up other IDs.

load lib/runtime

@test "50 parallel runs of distinct IDs all succeed" {
	b=$(bundle_make b)
	bundle_args b echo ran
	mkdir -p "$RT_TMP/par"
	pids=()
	for i in $(seq 1 50); do
		id=$RT_TOKEN-p$i
		track_id "$id"
		# One bundle for all: the runtime only reads it.
		(
			st=0
			env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" run -b "$b" "$id" >"$RT_TMP/par/$i.out" 2>&1 </dev/null 3>&- || st=$?
			echo "$st" >"$RT_TMP/par/$i.rc"
		) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p"
	done
	bad=0
	for i in $(seq 1 50); do
		if [ "$(cat "$RT_TMP/par/$i.rc")" != 0 ] || [ "$(cat "$RT_TMP/par/$i.out")" != ran ]; then
			echo "run $i: rc $(cat "$RT_TMP/par/$i.rc"): $(cat "$RT_TMP/par/$i.out")"
			bad=$((bad + 1))
		fi
	done
	[ "$bad" -eq 0 ]
	# All were deleted after they exited.
	[ -z "$(rt list -q)" ]
	[ -z "$(ls -A "$RT_ROOT")" ]
}

@test "50 parallel detached runs, then 50 parallel deletes" {
	b=$(bundle_make b)
	bundle_args b sleep 1000
	mkdir -p "$RT_TMP/pard"
	for i in $(seq 1 50); do
		track_id "$RT_TOKEN-d$i"
	done
	seq 1 50 | xargs -P 50 -I{} env "$RT_MARK" sh -c '"$1" --root "$2" run -d -b "$3" "$4-d{}" >"$5/{}.out" 2>&1 </dev/null 3>&-; echo $? >"$5/{}.rc"' \
		_ "$RUNTIME" "$RT_ROOT" "$b" "$RT_TOKEN" "$RT_TMP/pard"
	for i in $(seq 1 50); do
		[ "$(cat "$RT_TMP/pard/$i.rc")" = 0 ] || {
			cat "$RT_TMP/pard/$i.out"
			false
		}
	done
	[ "$(rt list -q | wc -l)" -eq 50 ]
	[ "$(rt list --format json | jq '[.[] | select(.status == "running")] | length')" -eq 50 ]
	pids=$(rt list --format json | jq -r '.[].pid' | sort -u | wc -l)
	[ "$pids" -eq 50 ]
	seq 1 50 | xargs -P 50 -I{} env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" delete -f "$RT_TOKEN-d{}"
	[ -z "$(rt list -q)" ]
	poll 20 bash -c '[ -z "$(grep -lzx -- "$1" /proc/[0-9]*/environ 2>/dev/null | while read -r f; do p=${f#/proc/}; p=${p%/environ}; st=$(awk "{print \$3}" /proc/$p/stat 2>/dev/null); [ "$st" = Z ] || echo "$p"; done)" ]' _ "$RT_MARK"
}

@test "two parallel creates of one ID: exactly one wins, the other says it exists" {
	# Observed with runc 1.1.5: both lose ("file exists" and "unable to store
	# init state"), so this one holds podrun to more than runc does.
	[ "$RT_NAME" != runc ] || skip "runc 1.1 fails both creates of the race"
	b=$(bundle_make b)
	bundle_args b sleep 1000
	for round in 1 2 3 4 5; do
		id=$(new_id)
		for k in 1 2; do
			(
				st=0
				env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" create -b "$b" "$id" >"$RT_TMP/c$k.out" 2>&1 </dev/null 3>&- || st=$?
				echo "$st" >"$RT_TMP/c$k.rc"
			) &
		done
		wait
		r1=$(cat "$RT_TMP/c1.rc")
		r2=$(cat "$RT_TMP/c2.rc")
		echo "round $round: $r1 $r2: $(cat "$RT_TMP/c1.out") / $(cat "$RT_TMP/c2.out")"
		if [ "$r1" = 0 ]; then
			[ "$r2" != 0 ]
			loser=$RT_TMP/c2.out
		else
			[ "$r2" = 0 ]
			loser=$RT_TMP/c1.out
		fi
		grep -q "already exists" "$loser"
		[ "$(rt_state_field "$id" status)" = created ]
		# The loser did not kill or replace the winner's process.
		pid=$(rt_state_field "$id" pid)
		kill -0 "$pid"
		rt delete -f "$id"
	done
	[ -z "$(marked_pids | while read -r p; do proc_gone "$p" || echo "$p"; done)" ]
}

@test "a create blocked in a hook does not hold up commands on other IDs" {
	b=$(bundle_make slow)
	gate=$RT_TMP/gate
	rm -f "$gate" "$gate.entered"
	# The hook waits (bounded) for the test to open the gate.
	bundle_set slow '.hooks = {createRuntime:[{path:"/bin/sh", args:["sh","-c",
		"touch \($g).entered; i=0; while [ ! -e \($g) ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done"]}]}' --arg g "$gate"
	bundle_args slow sleep 1000
	fast=$(bundle_make fast)
	bundle_args fast echo fast-done
	slow_id=$(new_id)
	env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" create -b "$b" "$slow_id" >"$RT_TMP/slow.out" 2>&1 </dev/null 3>&- &
	slow_pid=$!
	poll 30 test -e "$gate.entered"
	# Other IDs: run, list, state of a missing one; none may wait for the gate.
	run timeout 20 env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" run -b "$fast" "$(new_id)"
	ok_run=$status out_run=$output
	run timeout 20 env "$RT_MARK" "$RUNTIME" --root "$RT_ROOT" list
	ok_list=$status
	touch "$gate"
	st=0
	wait "$slow_pid" || st=$?
	[ "$ok_run" -eq 0 ]
	[ "$out_run" = fast-done ]
	[ "$ok_list" -eq 0 ]
	[ "$st" -eq 0 ]
	[ "$(rt_state_field "$slow_id" status)" = created ]
}
