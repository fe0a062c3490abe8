#!/bin/bash
# Every option runc's --help lists, per command, must be known to podrun:
# clients pass runc's flags, and an "unknown option" fails their call.
# (Whether podrun does the right thing with each is for the other tests.)
. "$(dirname "$0")/common.sh"
trap 'rm -rf "$IO_TMP"' EXIT
RUNC=${RUNC:-$(command -v runc || true)}
[ -n "$RUNC" ] || { echo "1..0 # skip runc not installed"; exit 0; }
echo "# runc $("$RUNC" --version | awk 'NR==1{print $3}') options against $RUNTIME"
for c in "" create run start state list kill delete exec ps pause resume update events features spec; do
  # runc lists "--name value, -n value" or "--name, -n"; keep the long names
  flags=$("$RUNC" $c --help 2>/dev/null | grep -oE '^\s+--[a-z][-a-z0-9]*' | tr -d ' \t' | sort -u)
  [ -n "$flags" ] || continue
  for f in $flags; do
    case $f in --help | --version) continue ;; esac
    if [ -z "$c" ]; then
      out=$("$RUNTIME" "$f" x </dev/null 2>&1 | head -1)
    else
      out=$("$RUNTIME" --root "$IO_TMP/state" $c "$f" </dev/null 2>&1 | head -1)
    fi
    if printf '%s' "$out" | grep -q "unknown option"; then
      io_check "${c:-global} $f" false
    else
      io_check "${c:-global} $f" true
    fi
  done
done
io_summary cli-flags
