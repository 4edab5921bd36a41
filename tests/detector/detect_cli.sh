#!/bin/sh
# `lookout detect` on test1 with YOLOX-Nano: the JSON names the two cars and
# parses; a missing model is a one-line error and exit status 1.
# Usage: detect_cli.sh LOOKOUT PPM SHARED
set -eu
lookout=$1 ppm=$2 shared=$3
model=$shared/assets/models/yolox_nano/yolox_nano.onnx
labels=$shared/assets/models/yolox_nano/coco_classes.txt
if [ ! -f "$model" ] || [ ! -f "$ppm" ]; then
    echo "skipping: missing $model or $ppm"
    [ "${CI:-}" = true ] && exit 1
    exit 77
fi
out=$("$lookout" detect "$ppm" --model "$model" --labels "$labels" --score 0.3 --json)
echo "$out"
echo "$out" | /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
cars = [x for x in d["detections"] if x["label"] == "car" and x["score"] > 0.8]
assert d["family"] == "yolox" and d["width"] == 1280 and len(cars) == 2, d'
err=$(mktemp)
trap 'rm -f "$err"' EXIT
status=0
"$lookout" detect "$ppm" --model /nonexistent/model.onnx 2>"$err" || status=$?
cat "$err"
[ "$status" -eq 1 ] && grep -q "/nonexistent/model.onnx" "$err"
