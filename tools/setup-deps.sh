#!/bin/sh
# Installs every Debian 12 package that building, testing and the tools need.
# Idempotent: when everything is already installed it does nothing.
set -eu

PACKAGES="
build-essential pkg-config meson ninja-build
glslc spirv-tools libvulkan-dev mesa-vulkan-drivers vulkan-tools vulkan-validationlayers
libcmocka-dev protobuf-c-compiler libprotobuf-c-dev libonnx-dev libonnx-testdata
libjson-glib-dev clang libclang-rt-14-dev
libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-libav
libavcodec-dev libavformat-dev ffmpeg jq
python3 python3-numpy python3-torch python3-torchvision python3-onnx python3-opencv
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "setup-deps: installing:$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
