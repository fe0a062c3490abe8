#!/usr/bin/env bash
# shellcheck disable=SC2086,SC2089,SC2090,SC2012
# (flag strings are split into words on purpose; crash names are hex)
# Builds every tests/fuzz/fuzz_NAME.c as a libFuzzer binary in build-fuzz/
# (ASan + UBSan, against the library sources compiled with clang) and runs
# each for FUZZ_SECONDS (default 60) on a scratch copy of
# tests/fuzz/corpus/NAME/, so the repo corpus is never modified.  Prints one
# line per target; exits non-zero if a target fails to build or crashes.
# Crashing inputs are kept in build-fuzz/crashes/NAME/: copy them into
# tests/fuzz/corpus/NAME/ once fixed, as regression cases.
#   tests/fuzz/run.sh [NAME...]        e.g. tests/fuzz/run.sh spec
# Environment: FUZZ_SECONDS, FUZZ_CC (clang), FUZZ_BUILD (build-fuzz).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top" || exit 1
out=${FUZZ_BUILD:-$top/build-fuzz}
secs=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}
pkgconf=${PKG_CONFIG:-pkg-config}

die() { echo "fuzz: $*" >&2; exit 1; }

command -v "$cc" >/dev/null || die "$cc not found: apt-get install clang"
mkdir -p "$out/obj" "$out/logs" "$out/crashes" || die "cannot create $out"

# libFuzzer's runtime is a separate package from the compiler on Debian.
probe=$out/obj/probe
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' \
  >"$probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$probe" "$probe.c" >"$probe.log" 2>&1; then
  sed 's/^/#   /' "$probe.log" >&2
  die "$cc cannot link libFuzzer programs: install the libFuzzer runtime (Debian 12: apt-get install libclang-rt-14-dev, which clang-14 normally pulls in)"
fi

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-std=gnu11 -g -O1 -D_GNU_SOURCE -DPODKIT_VERSION=\"fuzz\" -Wall -Wno-unused-parameter \
  -Iruntime/lib -Inet/lib -Ipod/lib"
RT_PKGS="jansson libseccomp"
NET_PKGS="libnl-3.0 libnl-route-3.0 libmnl libnftnl"
"$pkgconf" --exists $RT_PKGS || die "missing $RT_PKGS development files: run scripts/install-deps.sh"
CFLAGS="$CFLAGS $("$pkgconf" --cflags $RT_PKGS)"
LIBS=$("$pkgconf" --libs $RT_PKGS)
libdirs=(runtime/lib)
if compgen -G 'net/lib/*.c' >/dev/null; then
  if "$pkgconf" --exists $NET_PKGS; then
    CFLAGS="$CFLAGS $("$pkgconf" --cflags $NET_PKGS)"
    LIBS="$("$pkgconf" --libs $NET_PKGS) $LIBS"
    libdirs=(net/lib runtime/lib)
  else
    echo "# fuzz: $NET_PKGS not found, net/lib left out" >&2
  fi
fi

# pod/lib (the pod config writer) needs the net headers; it goes first so
# that its objects can pull in net/lib and runtime/lib ones.
if compgen -G 'pod/lib/*.c' >/dev/null && [ "${libdirs[0]}" = net/lib ]; then
  libdirs=(pod/lib "${libdirs[@]}")
fi

# One archive per library directory: a target pulls in only the objects it
# needs, so a half-written file elsewhere does not break every target.
archives=()
for d in "${libdirs[@]}"; do
  objs=()
  for src in "$d"/*.c; do
    obj=$out/obj/${src%.c}.o
    mkdir -p "$(dirname "$obj")"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$(find "$d" -name '*.h' -newer "$obj" 2>/dev/null)" ]; then
      if ! "$cc" $CFLAGS $SAN -fsanitize=fuzzer-no-link -c -o "$obj" "$src" 2>"$obj.log"; then
        echo "# fuzz: $src does not compile, left out (see $obj.log)" >&2
        rm -f "$obj"
        continue
      fi
    fi
    objs+=("$obj")
  done
  lib=$out/lib$(echo "$d" | tr / _).a
  rm -f "$lib"
  [ ${#objs[@]} -gt 0 ] && ar rcs "$lib" "${objs[@]}" && archives+=("$lib")
done

targets=()
if [ $# -gt 0 ]; then
  for n in "$@"; do targets+=("tests/fuzz/fuzz_${n#fuzz_}.c"); done
else
  for t in tests/fuzz/fuzz_*.c; do [ -f "$t" ] && targets+=("$t"); done
fi
[ ${#targets[@]} -gt 0 ] || die "no tests/fuzz/fuzz_*.c targets"

failed=0
for t in "${targets[@]}"; do
  base=$(basename "$t" .c)
  name=${base#fuzz_}
  bin=$out/$base
  log=$out/logs/$name.log
  if [ ! -f "$t" ]; then
    echo "$base: FAILED: no such target $t"
    failed=$((failed + 1))
    continue
  fi
  if ! "$cc" $CFLAGS $SAN -fsanitize=fuzzer -o "$bin" "$t" "${archives[@]}" $LIBS >"$log" 2>&1; then
    echo "$base: FAILED to build (see $log)"
    sed -n '1,15s/^/#   /p' "$log"
    failed=$((failed + 1))
    continue
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/podkit-fuzz-$name.XXXXXX")
  mkdir -p "$work/corpus" "$out/crashes/$name"
  # targets that need files (fuzz_podspec's bundle) make them in $work
  [ -d "tests/fuzz/corpus/$name" ] && cp -R "tests/fuzz/corpus/$name/." "$work/corpus/"
  n_before=$(find "$work/corpus" -type f | wc -l)
  before_crashes=$(ls "$out/crashes/$name" | wc -l)
  PODKIT_FUZZ_TMP=$work "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/crashes/$name/" "$work/corpus" >"$log" 2>&1
  rc=$?
  n_after=$(find "$work/corpus" -type f | wc -l)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rm -rf "$work"
  if [ $rc -ne 0 ] || [ "$(ls "$out/crashes/$name" | wc -l)" -gt "$before_crashes" ]; then
    crash=$(ls -t "$out/crashes/$name" | head -1)
    why=$(grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error:|SUMMARY:' "$log")
    where=$(grep -m1 -E "^ +#[0-9]+ .* in [A-Za-z_].* $top/" "$log" | sed -E 's/.* in ([^ ]+) .*\/([^/]+)$/ at \1 (\2)/')
    echo "$base: CRASH (exit $rc): ${why:-see log}${where}; input $out/crashes/$name/$crash; log $log"
    failed=$((failed + 1))
  else
    echo "$base: ok, ${runs:-?} runs in ${secs}s, corpus $n_before -> $n_after inputs"
  fi
done
[ "$failed" -eq 0 ]
