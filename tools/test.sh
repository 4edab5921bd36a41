#!/bin/sh
# Runs the whole test suite from build/ (made by tools/setup.sh): every
# cmocka suite with its counts; the engine suites again with the Vulkan
# validation layers on, where any validation message fails a test; and the
# engine suites once more built with AddressSanitizer + UBSan; then the
# ONNX loader's libFuzzer target for a bounded time (tools/fuzz-ci.sh).
set -eu
cd "$(dirname "$0")/.."
export LOOKOUT_CACHE_DIR="${LOOKOUT_CACHE_DIR:-$PWD/build/cache}"

echo "== test suite"
meson test -C build --print-errorlogs -v --num-processes 2

echo "== engine suites with Vulkan validation layers"
LOOKOUT_VALIDATION=1 meson test -C build --print-errorlogs --suite engine --num-processes 2 \
    --logbase validation

echo "== engine suites under AddressSanitizer + UBSan"
if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined --buildtype=debugoptimized
fi
# Leak checking stays off here: lavapipe's own one-time allocations (ICU,
# libxml2) are made in libraries the Vulkan loader unloads before exit, so
# they cannot be attributed or suppressed. Local leak checks: see README.
# meson test builds only what the selected suites need.
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --print-errorlogs --suite engine --num-processes 2 --logbase asan

echo "== model loader fuzzing (ONNX, darknet)"
tools/fuzz-ci.sh
