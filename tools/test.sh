#!/bin/sh
# Runs the whole test suite from build/ (made by tools/setup.sh): every
# cmocka suite with its counts, then the engine suites again with the
# Vulkan validation layers on, where any validation message fails a test.
set -eu
cd "$(dirname "$0")/.."
export LOOKOUT_CACHE_DIR="${LOOKOUT_CACHE_DIR:-$PWD/build/cache}"
echo "== test suite"
meson test -C build --print-errorlogs -v --num-processes 2
echo "== engine suites with Vulkan validation layers"
LOOKOUT_VALIDATION=1 meson test -C build --print-errorlogs --suite engine --num-processes 2 \
    --logbase validation
