#!/usr/bin/env bash
# Coverage-guided fuzzing with AFL++ (cargo-afl), headless and time-bounded.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Builds the targets (`cargo afl build --release`), then runs each TARGET (default: all) for
# SECONDS (default 60) with `cargo afl fuzz -V SECONDS`, one after the other, and prints per
# target what fuzzer_stats says: execs_done, execs_per_sec, corpus_count, saved_crashes and
# saved_hangs. Exits 1 if any target saved a crash (out/<target>/default/crashes/), 2 on a
# usage or setup error.
#
# Needs cargo-afl: `cargo install cargo-afl --version 0.18.2 --locked` (AFL++ itself is built
# the first time cargo-afl runs; `cargo afl config --build` does it explicitly).
#
# Inputs: corpus/<target>/ (the seeds, checked in) and dict/<target>.dict when it exists.
# Outputs: out/<target>/ (AFL's queue, crashes, hangs, fuzzer_stats; not checked in) and
# out/<target>.log (AFL's own output). A previous out/<target> is kept as
# out/<target>.<date> rather than overwritten.
set -euo pipefail

ALL_TARGETS=(tx_decode chain_spec node_config rpc_request wasm_module grpc_request)

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    echo "targets: ${ALL_TARGETS[*]}"
}

cd "$(dirname "$0")"

duration=60
if [[ $# -gt 0 ]]; then
    case "$1" in
        -h | --help) usage; exit 0 ;;
        *[!0-9]* | '') ;;
        *) duration=$1; shift ;;
    esac
fi
if [[ $duration -lt 1 ]]; then
    echo "run.sh: SECONDS must be at least 1" >&2
    exit 2
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=("${ALL_TARGETS[@]}")
fi
for target in "${targets[@]}"; do
    if [[ ! " ${ALL_TARGETS[*]} " =~ " ${target} " ]]; then
        echo "run.sh: unknown target '$target'" >&2
        usage >&2
        exit 2
    fi
done

if ! cargo afl --version >/dev/null 2>&1; then
    echo "run.sh: cargo-afl is missing: cargo install cargo-afl --version 0.18.2 --locked" >&2
    exit 2
fi

cargo afl build --release

# Headless, and no machine tuning needed: no CPU-frequency governor check, no core_pattern
# check (a crash is still seen: the target aborts), no status screen, no pinning to a core
# (another fuzzer or a compiler may hold one).
export AFL_SKIP_CPUFREQ=1
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
export AFL_NO_UI=1
export AFL_NO_AFFINITY=1

# Time limit of one execution, in ms.
#
# The node targets (rpc_request, wasm_module, grpc_request) start an in-process development
# node, in the forked child, on the child's first input (a node started before the fork server
# would stay in the fork server: see src/lib.rs). That first execution includes the node's
# start-up (genesis, store, listeners, 8 start-up transactions mined: well under a second when
# idle, a few seconds on a loaded 2-core machine), and so does the first one after each crash
# or timeout; so their limit is generous. A request that stalls is reported sooner, as a
# crash, by the harness's own 10 s request timeout (REQUEST_TIMEOUT in src/lib.rs).
timeout_for() {
    case "$1" in
        rpc_request | wasm_module | grpc_request) echo 20000 ;;
        *) echo 1000 ;;
    esac
}

mkdir -p out
failed=0
summary=()
for target in "${targets[@]}"; do
    if [[ -e out/$target ]]; then
        mv "out/$target" "out/$target.$(date -u +%Y%m%dT%H%M%SZ)"
    fi
    dict=()
    if [[ -f dict/$target.dict ]]; then
        dict=(-x "dict/$target.dict")
    fi
    # The node's ephemeral data directories go here, not to /tmp: a child that AFL kills
    # (a timeout, the end of the run) cannot remove its own.
    export TMPDIR=$PWD/out/$target.tmp
    rm -rf "$TMPDIR"
    mkdir -p "$TMPDIR"
    echo "== $target: fuzzing for ${duration}s (log: fuzz/out/$target.log)"
    status=0
    cargo afl fuzz -V "$duration" -t "$(timeout_for "$target")" -m none "${dict[@]}" \
        -i "corpus/$target" -o "out/$target" "target/release/$target" \
        >"out/$target.log" 2>&1 || status=$?
    rm -rf "$TMPDIR"
    stats=out/$target/default/fuzzer_stats
    if [[ $status -ne 0 || ! -f $stats ]]; then
        echo "run.sh: afl-fuzz failed for $target (exit $status); tail of out/$target.log:" >&2
        tail -n 30 "out/$target.log" >&2
        exit 2
    fi
    field() { awk -F' *: *' -v key="$1" '$1 == key { print $2 }' "$stats"; }
    crashes=$(field saved_crashes)
    hangs=$(field saved_hangs)
    summary+=("$(printf '%-13s %8s %12s %14s %12s %13s %11s' "$target" "$(field run_time)" \
        "$(field execs_done)" "$(field execs_per_sec)" "$(field corpus_count)" "$crashes" "$hangs")")
    if [[ $crashes != 0 ]]; then
        failed=1
    fi
done

echo
printf '%-13s %8s %12s %14s %12s %13s %11s\n' target run_time execs_done execs_per_sec \
    corpus_count saved_crashes saved_hangs
printf '%s\n' "${summary[@]}"
if [[ $failed -ne 0 ]]; then
    echo
    echo "crashes saved: see fuzz/out/<target>/default/crashes/ and docs/fuzzing.md (reproducing)"
    exit 1
fi
