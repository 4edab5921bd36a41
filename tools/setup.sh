#!/bin/sh
# Sets up a fresh Debian 12 machine and builds Lookout into build/:
# installs the Debian packages (tools/setup-deps.sh), configures meson once,
# compiles. Safe to run again; it only does what is missing.
set -eu
cd "$(dirname "$0")/.."
tools/setup-deps.sh
if [ ! -f build/build.ninja ]; then
    meson setup build --buildtype=debugoptimized
fi
ninja -C build -j"$(nproc)"
