# Helpers of tests/reliability/badinput.sh: the run's names and state
# dirs, the tool wrappers and fixtures the rows of badinput/matrix.tsv use,
# the leftover snapshot, the sweep, and the markdown rendering of the table.
#
# Every object carries the run's token $T (pkb + 4 digits): bridges ${T}br*,
# netns ${T}n*, pods ${T}p*, containers ${T}c*, nft table $T, cgroups
# /${T}cg/..., state dirs /run/${T}{rt,net,pod}, files under $W.

BI_TOP=${PODKIT_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
BI_BUILD=${PODKIT_BUILD:-$BI_TOP/build}
BI_MATRIX=${BADINPUT_MATRIX:-$BI_TOP/tests/reliability/badinput/matrix.tsv}
BI_DOC=$BI_TOP/docs/reliability.md

bi_names() {
	T=pkb$(printf '%04d' $(($$ % 10000)))
	RT_ROOT=/run/${T}rt
	export PODNET_STATE_DIR=/run/${T}net
	export PODNET_NFT_TABLE=$T
	export POD_STATE_DIR=/run/${T}pod
	export POD_RUNTIME_ROOT=/run/${T}pod/rt
	export POD_PAUSE=$BI_BUILD/pod-pause
}

# ---- the tools as the rows call them (isolated by the knobs above) ----

podrun() { "$BI_BUILD/podrun" --root "$RT_ROOT" "$@"; }
podnet() { "$BI_BUILD/podnet" "$@"; }
pod() { "$BI_BUILD/pod" --runtime "$BI_BUILD/podrun" "$@"; }

# nobody TOOL ARGS...: the tool as uid/gid 65534 without groups; the
# capabilities go with the uid change.
nobody() {
	local t=$1
	shift
	case $t in
	podrun) set -- "$BI_BUILD/podrun" --root "$RT_ROOT" "$@" ;;
	podnet) set -- "$BI_BUILD/podnet" "$@" ;;
	pod) set -- "$BI_BUILD/pod" --runtime "$BI_BUILD/podrun" "$@" ;;
	*) return 99 ;;
	esac
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

# ---- fixtures ----

# The template rootfs (busybox) and config: `podrun spec`, no terminal,
# runs `true`.  Made once per run under $W.
bi_template() {
	ROOTFS=$W/rootfs
	"$BI_TOP/scripts/mkrootfs.sh" "$ROOTFS" >/dev/null
	mkdir -p "$W/tpl"
	"$BI_BUILD/podrun" spec --bundle "$W/tpl"
	jq '.process.terminal = false | .process.args = ["true"]' "$W/tpl/config.json" >"$W/good.json"
	GOOD=$W/good.json
}

# bundle [JQ]: a fresh bundle $B whose config is the good one with JQ
# applied; rootfs is a link to the template.  (The cgroup is podrun's
# default /podrun/ID, with the run's token in the ID.)
bundle() {
	mkdir -p "$B"
	jq "${1:-.}" "$GOOD" >"$B/config.json"
	ln -sfn "$ROOTFS" "$B/rootfs"
}

# addmount DEST TYPE [SOURCE]: one more mount in $B's config.
addmount() {
	jq --arg d "$1" --arg t "$2" --arg s "${3:-$2}" \
		'.mounts += [{destination: $d, type: $t, source: $s}]' "$B/config.json" >"$B/c.tmp"
	mv "$B/c.tmp" "$B/config.json"
}

# rawconfig TEXT: a bundle whose config.json is TEXT as is.
rawconfig() {
	mkdir -p "$B"
	printf '%s' "$1" >"$B/config.json"
	ln -sfn "$ROOTFS" "$B/rootfs"
}

# ownrootfs: $B/rootfs becomes a copy of the template the row may change.
ownrootfs() {
	rm -f "$B/rootfs"
	cp -a "$ROOTFS" "$B/rootfs"
}

# hugemounts N: a config with N tmpfs mounts (made with awk: jq is slow).
hugemounts() {
	mkdir -p "$B"
	jq '.mounts = []' "$GOOD" |
		awk -v n="$1" '/"mounts": \[\]/ {
			printf "  \"mounts\": [";
			for (i = 0; i < n; i++) printf "%s{\"destination\":\"/tmp/m%d\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"}", i ? "," : "", i;
			print "],"; next } { print }' >"$B/config.json"
	ln -sfn "$ROOTFS" "$B/rootfs"
}

# long N: a string of N 'a's (IDs and names that are too long)
long() { head -c "$1" /dev/zero | tr '\0' a; }

# ---- what a row may leave: everything of the run's token ----

bi_links() { ip -o link show "$@" 2>/dev/null | awk -F': ' '{split($2, a, "@"); print a[1]}'; }

# One line per object of the run (badinput/snapshot.py says which).
bi_snapshot() {
	python3 -I -S "$BI_TOP/tests/reliability/badinput/snapshot.py" "$T" "$W" "$W/skeleton" \
		"$RT_ROOT" "$PODNET_STATE_DIR" "$POD_STATE_DIR" "$POD_RUNTIME_ROOT"
}

# bi_added BEFORE AFTER: the lines of AFTER that BEFORE lacks (what the row
# left; what went away, a fixture's finished process, is no leak)
bi_added() {
	comm -13 <(printf '%s\n' "$1" | sort) <(printf '%s\n' "$2" | sort) | grep -v '^$'
}

# processes of this run: tools (the marker in their environment), container
# processes (a root under $W or the run's state dirs, a cgroup of the run)
bi_pids() {
	{
		grep -lzx "BI_MARK=$T" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3
		find /proc -mindepth 2 -maxdepth 2 -name root \( -lname "$W/*" -o -lname "/run/$T*" \) 2>/dev/null | cut -d/ -f3
		grep -l "$T" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
	} | sort -un | while read -r p; do
		[ "$p" = "$BASHPID" ] || [ "$p" = "$$" ] || echo "$p"
	done
}

# Remove everything of the run but the state dirs' skeleton.
bi_sweep() {
	local p n l br c
	for p in "$POD_STATE_DIR"/*/pod.json; do
		[ -f "$p" ] && pod rm -f "$(basename "$(dirname "$p")")" >/dev/null 2>&1
	done
	for n in "$POD_RUNTIME_ROOT"/*; do
		[ -d "$n" ] && "$BI_BUILD/podrun" --root "$POD_RUNTIME_ROOT" delete -f "${n##*/}" >/dev/null 2>&1
	done
	for n in "$RT_ROOT"/*; do
		[ -d "$n" ] && podrun delete -f "${n##*/}" >/dev/null 2>&1
	done
	for p in $(bi_pids); do kill -9 "$p" 2>/dev/null; done
	grep -F -e "$T" -e "$W" /proc/mounts | awk '{print $2}' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null
	done
	for br in $(bi_links type bridge | grep "^$T"); do
		for l in $(bi_links master "$br"); do ip link del "$l" 2>/dev/null; done
	done
	for l in $(bi_links | grep "^$T"); do ip link del "$l" 2>/dev/null; done
	for n in /var/run/netns/"$T"*; do
		[ -e "$n" ] || continue
		ip netns del "${n##*/}" 2>/dev/null || rm -f "$n"
	done
	nft delete table ip "$T" 2>/dev/null
	find "$RT_ROOT" "$PODNET_STATE_DIR" "$POD_STATE_DIR" -mindepth 1 2>/dev/null | grep -vxF -f "$W/skeleton" |
		sort -r | while read -r f; do rm -rf "$f"; done
	find /sys/fs/cgroup -maxdepth 5 -depth -type d -name "*$T*" 2>/dev/null | while read -r c; do
		find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf /tmp/"${T}"esc* 2>/dev/null
	return 0
}

# ---- the markdown table ----

bi_md_code() { # text -> `text` with | escaped for a table cell
	local s=${1//|/\\|}
	# shellcheck disable=SC2016 # backquotes are markdown here
	if [[ $s == *'`'* ]]; then printf '`` %s ``' "$s"; else printf '`%s`' "$s"; fi
}

bi_render_doc() {
	local n=0 classes class tool what fixture cmd exit expect check input want
	classes=$(grep -v '^#' "$BI_MATRIX" | grep -v '^$' | cut -f1 | sort -u | wc -l)
	cat <<EOF
Generated from \`tests/reliability/badinput/matrix.tsv\` by
\`tests/reliability/badinput.sh --write-doc\`; \`badinput.sh\` runs every row
(one TAP line each) and fails when this table differs from the file.
$(grep -v '^#' "$BI_MATRIX" | grep -cv '^$') rows in $classes classes.

Each row runs the fixture, then the command, as root unless it says
\`nobody\` (\`setpriv --reuid=65534 --regid=65534 --clear-groups\`), with the
run's own names: \`\$T\` is \`pkb\` + 4 digits, \`podrun\` is
\`podrun --root /run/\${T}rt\`, \`pod\` is \`pod --runtime podrun\`, and
\`PODNET_STATE_DIR\`, \`PODNET_NFT_TABLE\`, \`POD_STATE_DIR\`,
\`POD_RUNTIME_ROOT\` point at the run's own state.  \`bundle F\` makes a
bundle \`\$B\` from \`podrun spec\` (process \`true\`, no terminal) with the jq
filter F applied, \`rawconfig S\` one whose config.json is S, \`ownrootfs\`
gives \`\$B\` its own copy of the busybox rootfs (\`\$ROOTFS\`), \`\$W\` is the
run's scratch directory, \`long N\` N letters, \`hugemounts N\` a config
with N tmpfs mounts (\`\$HUGE\` is 1e6 times \`BADINPUT_HUGE\`, default 1).

A row passes when the exit status is the one listed, stderr is exactly one
line \`TOOL: ...\` containing the text listed (\`~\` marks an extended
regular expression), stdout is empty, the row's extra check holds, and
nothing of the run is left that the fixture did not make: netns, links (and
ports of the run's bridges, links inside its netns), the nft table's
content, state files, mounts, cgroups, processes.  Rows with exit 0 are the
inputs podrun accepts on purpose because the result stays contained; their
check says where things ended up.

| # | Class | Tool | Bad input | Fixture and command | Exit | Error (or check) |
| --- | --- | --- | --- | --- | --- | --- |
EOF
	while IFS=$'\t' read -r class tool what fixture cmd exit expect check; do
		[[ -z $class || $class == \#* ]] && continue
		n=$((n + 1))
		input=$(bi_md_code "$cmd")
		[ "$fixture" != - ] && input="$(bi_md_code "$fixture") then $input"
		if [ "$exit" = 0 ]; then
			want="none; check $(bi_md_code "$check")"
		else
			if [[ $expect == \~* ]]; then want="~ $(bi_md_code "${expect#\~}")"; else want=$(bi_md_code "$expect"); fi
			[ "$check" != - ] && want="$want; check $(bi_md_code "$check")"
		fi
		printf '| %d | %s | %s | %s | %s | %s | %s |\n' "$n" "$class" "$tool" "$what" "$input" "$exit" "$want"
	done <"$BI_MATRIX"
}

# The text between the markers of docs/reliability.md (without them).
bi_doc_section() {
	awk '/<!-- badinput:end -->/ {p = 0} p {print} /<!-- badinput:begin -->/ {p = 1}' "$BI_DOC" 2>/dev/null
}

bi_write_doc() {
	local tmp
	tmp=$(mktemp)
	if [ ! -f "$BI_DOC" ] || ! grep -q '<!-- badinput:begin -->' "$BI_DOC"; then
		{
			[ -f "$BI_DOC" ] && cat "$BI_DOC" && echo
			printf '## Bad input matrix\n\n<!-- badinput:begin -->\n<!-- badinput:end -->\n'
		} >"$tmp"
		cat "$tmp" >"$BI_DOC"
	fi
	bi_render_doc >"$tmp.sec"
	awk -v sec="$tmp.sec" '
		/<!-- badinput:begin -->/ {print; while ((getline l < sec) > 0) print l; skip = 1; next}
		/<!-- badinput:end -->/ {skip = 0}
		!skip {print}' "$BI_DOC" >"$tmp"
	cat "$tmp" >"$BI_DOC"
	rm -f "$tmp" "$tmp.sec"
}
