#!/bin/sh
# Fuzzes the ONNX loader: builds tests/fuzz/fuzz_onnx_load (libFuzzer, clang,
# AddressSanitizer + UndefinedBehaviorSanitizer, the library instrumented for
# coverage) in build-fuzz/ and runs it for FUZZ_SECONDS (default 60) over a
# seed corpus of the ONNX backend test models, the shared detector models and
# small models that reach the loader's rewrites (tools/reference/fuzz_seeds.py).
# Then the darknet loader (tests/fuzz/fuzz_darknet_load) for
# DARKNET_FUZZ_SECONDS (default 20) over the Yolo-Fastest models and the
# synthetic net of tools/reference/darknet_raw_outputs.py, each cfg and its
# weights joined by a NUL byte.
# Fails on any crash, leak, timeout, out-of-memory or sanitizer report; the
# reproducer is left in build-fuzz/fuzz-artifacts/ (rerun one with
# `build-fuzz/tests/fuzz/fuzz_onnx_load FILE`). Extra arguments go to
# libFuzzer (e.g. -runs=1000000).
set -eu
cd "$(dirname "$0")/.."
B=build-fuzz
T="${FUZZ_SECONDS:-60}"
TESTDATA=/usr/include/onnx/backend/test/data

if [ ! -f "$B/build.ninja" ]; then
    CC=clang meson setup "$B" --buildtype=debugoptimized -Dfuzz=true \
        -Db_sanitize=address,undefined -Db_lundef=false \
        -Dc_args=-fsanitize=fuzzer-no-link
fi
ninja -C "$B" tests/fuzz/fuzz_onnx_load tests/fuzz/fuzz_darknet_load

# Seeds: every model of the backend test data, the real detectors, and the
# rewrite patterns (GELU, Mish, SiLU, BN folding, Pad merging, shape
# arithmetic), which the test data lacks.
rm -rf "$B/fuzz-seeds" "$B/fuzz-artifacts"
mkdir -p "$B/fuzz-seeds" "$B/fuzz-corpus" "$B/fuzz-artifacts"
for m in "$TESTDATA"/*/*/model.onnx; do
    [ -f "$m" ] || continue
    d=$(dirname "$m")
    cp "$m" "$B/fuzz-seeds/$(basename "$(dirname "$d")")_$(basename "$d").onnx"
done
for m in ../shared/assets/models/yolox_nano/yolox_nano.onnx \
         ../shared/assets/models/fastestdet/FastestDet.onnx; do
    [ -f "$m" ] && cp "$m" "$B/fuzz-seeds/"
done
/usr/bin/python3 tools/reference/fuzz_seeds.py "$B/fuzz-seeds"
n=$(ls "$B/fuzz-seeds" | wc -l)
if [ "$n" -eq 0 ]; then
    echo "fuzz-ci: no seed models (libonnx-testdata missing?)" >&2
    exit 1
fi
echo "fuzz-ci: $n seed models, ${T} s"

# UBSan only reports by default: halting turns a report into a crash that
# libFuzzer records with its input.
run_fuzzer() { # name seconds corpus seeds [libFuzzer args]
    name=$1 secs=$2 corpus=$3 seeds=$4
    shift 4
    log="$B/fuzz-$name.log"
    status=0
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
        "$B/tests/fuzz/fuzz_$name" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$B/fuzz-artifacts/" "$@" \
        "$corpus" "$seeds" >"$log" 2>&1 || status=$?
    grep -E '(INITED|DONE) +cov|^stat::|^Done [0-9]+ runs' "$log" || true
    if [ "$status" -ne 0 ] || grep -qE 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|ERROR: libFuzzer' "$log"; then
        tail -n 60 "$log"
        echo "fuzz-ci: $name FAILED (exit $status); reproducer(s):" $(ls "$B/fuzz-artifacts") >&2
        exit 1
    fi
}
run_fuzzer onnx_load "$T" "$B/fuzz-corpus" "$B/fuzz-seeds" "$@"

TD="${DARKNET_FUZZ_SECONDS:-20}"
rm -rf "$B/fuzz-darknet-seeds"
mkdir -p "$B/fuzz-darknet-seeds" "$B/fuzz-darknet-corpus"
/usr/bin/python3 -c 'import sys; sys.path.insert(0, "tools/reference"); import darknet_raw_outputs as d; d.write_synthetic(sys.argv[1])' "$B/fuzz-darknet-seeds"
for stem in "$B/fuzz-darknet-seeds/synthetic" ../shared/assets/models/yolo-fastest-1.1/yolo-fastest-1.1; do
    [ -f "$stem.cfg" ] || continue
    { cat "$stem.cfg"; printf '\0'; cat "$stem.weights"; } >"$B/fuzz-darknet-seeds/$(basename "$stem").seed"
done
rm -f "$B/fuzz-darknet-seeds/synthetic.cfg" "$B/fuzz-darknet-seeds/synthetic.weights"
echo "fuzz-ci: darknet, $(ls "$B/fuzz-darknet-seeds" | wc -l) seed models, ${TD} s"
run_fuzzer darknet_load "$TD" "$B/fuzz-darknet-corpus" "$B/fuzz-darknet-seeds" "$@"
echo "fuzz-ci: no crash, leak or sanitizer report"
