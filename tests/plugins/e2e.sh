#!/bin/sh
# End-to-end checks of the plugin and `lookout run` on the shared footage.
#   e2e.sh CASE LOOKOUT PLUGIN_DIR WORK_DIR
# CASE: inspect | gst-launch | run | damaged | phone | live | errors | default-model
# Frame counts come from ffprobe -count_frames (FFmpeg's own decoder), JSON
# is checked with jq. Without ../shared the case skips (exit 77), and fails
# under CI=true.
set -eu
case_name=$1 lookout=$2 plugin_dir=$3 work=$4
shared=${LOOKOUT_SHARED:-}
assets=$shared/assets
yolox=$assets/models/yolox_nano/yolox_nano.onnx
labels=$assets/models/yolox_nano/coco_classes.txt
clip=$assets/footage/udacity-vehicle-detection/test_video.mp4
phone=$assets/footage/mapillary-tools-testdata/tests/data/videos/sample-5s_h265.mp4
case $lookout in /*) ;; *) lookout=$PWD/$lookout ;; esac
case $plugin_dir in /*) ;; *) plugin_dir=$PWD/$plugin_dir ;; esac
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
export GST_PLUGIN_PATH=$plugin_dir
mkdir -p "$work"
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }
need_assets() {
    if [ ! -f "$clip" ] || [ ! -f "$yolox" ]; then
        [ "${CI:-}" = true ] && fail "shared assets missing under CI=true ($assets)"
        echo "SKIP: shared assets not found ($assets)"
        exit 77
    fi
}
frames_of() {
    ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
        -of csv=p=0 "$1"
}
# Every line is a JSON object with the documented fields; prints the count.
check_jsonl() {
    jq -e -c 'select((.frame|type)=="number" and (.resolution.width|type)=="number"
                     and (.objects|type)=="array" and has("pts") and has("timestamp")
                     and has("timestamp_seconds") and has("source") and has("inference_ms")
                     and has("skipped")) | .frame' "$1" > frames.txt \
        || fail "$1: a record is not valid JSON or lacks a field"
    n=$(wc -l < "$1")
    [ "$(wc -l < frames.txt)" -eq "$n" ] || fail "$1: $(wc -l < frames.txt) of $n records valid"
    # frame numbers 0..n-1 in order: none lost, none repeated
    seq 0 $((n - 1)) | cmp -s - frames.txt || fail "$1: frame numbers are not 0..$((n - 1))"
    echo "$n"
}
detections_in() { jq '.objects | length' "$1" | awk '{s += $1} END {print s + 0}'; }

case $case_name in
inspect)
    out=$(gst-inspect-1.0 lookout) || fail "gst-inspect-1.0 lookout"
    for e in lkdetect lkoverlay lkjsonsink; do
        echo "$out" | grep -q "$e" || fail "element $e not listed"
    done
    props=$(gst-inspect-1.0 lkdetect)
    for p in model labels device conf-threshold iou-threshold max-detections classes \
             interval drop; do
        echo "$props" | grep -q "^  $p " || fail "lkdetect property $p missing"
    done
    echo "$props" | grep -q "gst-launch-1.0\|lkdetect model=" || fail "no example pipeline"
    echo "inspect: 3 elements, lkdetect properties documented"
    ;;
gst-launch)
    need_assets
    rm -f g.jsonl g.mp4
    gst-launch-1.0 -q filesrc location="$clip" ! decodebin ! videoconvert ! \
        lkdetect model="$yolox" labels="$labels" ! lkoverlay ! tee name=t \
        t. ! queue max-size-buffers=0 max-size-bytes=0 max-size-time=0 ! lkjsonsink location=g.jsonl \
        t. ! queue ! videoconvert ! x264enc speed-preset=veryfast ! mp4mux ! filesink location=g.mp4 \
        || fail "gst-launch-1.0 pipeline failed"
    want=$(frames_of "$clip")
    got=$(check_jsonl g.jsonl)
    [ "$got" -eq "$want" ] || fail "g.jsonl has $got records, ffprobe decodes $want frames"
    enc=$(frames_of g.mp4)
    [ "$enc" -eq "$want" ] || fail "g.mp4 has $enc frames, want $want"
    dets=$(detections_in g.jsonl)
    [ "$dets" -gt 0 ] || fail "no detections on the clip"
    jq -e 'select(.objects[] | .detection.label == "car")' g.jsonl > /dev/null || fail "no car"
    echo "gst-launch: $got records = $want frames, $enc encoded, $dets detections"
    ;;
run)
    need_assets
    rm -f r.jsonl r.mkv
    "$lookout" run "$clip" --model "$yolox" --labels "$labels" --json r.jsonl --out r.mkv \
        2> run.log || { cat run.log; fail "lookout run failed"; }
    cat run.log
    want=$(frames_of "$clip")
    got=$(check_jsonl r.jsonl)
    [ "$got" -eq "$want" ] || fail "r.jsonl has $got records, ffprobe decodes $want frames"
    enc=$(frames_of r.mkv)
    [ "$enc" -eq "$want" ] || fail "r.mkv has $enc frames, want $want"
    [ "$(detections_in r.jsonl)" -gt 0 ] || fail "no detections"
    grep -q "^lookout run: $want frames" run.log || fail "summary does not count $want frames"
    grep -q "detections: .*car" run.log || fail "summary lacks per-class counts"
    grep -q "p95" run.log || fail "summary lacks the latency percentile"
    # The same detector on the same frames: lookout run's objects are
    # gst-launch's (when that case ran in this work dir).
    if [ -f g.jsonl ]; then
        jq -c '.objects' g.jsonl > g.obj
        jq -c '.objects' r.jsonl > r.obj
        cmp -s g.obj r.obj || fail "lookout run and gst-launch detections differ"
        echo "run: objects identical to the gst-launch pipeline's"
    fi
    echo "run: $got records = $want frames, $enc encoded"
    ;;
damaged)
    need_assets
    size=$(wc -c < "$clip")
    cut=$((size / 2))
    head -c "$cut" "$clip" > truncated.mp4
    cp "$clip" corrupted.mp4
    chmod u+w corrupted.mp4
    dd if=/dev/urandom of=corrupted.mp4 bs=1 seek="$cut" count=20000 conv=notrunc status=none
    # Video packets wholly before the damage: their frames must be written.
    before=$(ffprobe -v error -select_streams v:0 -show_entries packet=size,pos -of csv=p=0 \
        "$clip" | awk -F, -v cut="$cut" '$2 + $1 <= cut {n++} END {print n + 0}')
    for f in truncated corrupted; do
        rm -f "$f.jsonl" "$f.out.mp4"
        rc=0
        "$lookout" run "$f.mp4" --model "$yolox" --labels "$labels" --json "$f.jsonl" \
            --out "$f.out.mp4" 2> "$f.log" || rc=$?
        cat "$f.log"
        [ "$rc" -le 1 ] || fail "$f: lookout run exit code $rc (crash?)"
        if [ "$rc" -eq 1 ]; then
            [ "$(grep -c '^lookout:' "$f.log")" -eq 1 ] || fail "$f: want one error line"
        fi
        got=$(check_jsonl "$f.jsonl")
        [ "$got" -ge "$before" ] || fail "$f: $got records, $before frames precede the damage"
        enc=$(frames_of "$f.out.mp4")
        [ "$enc" -eq "$got" ] || fail "$f: annotated file has $enc frames, $got records"
        echo "damaged $f: exit $rc, $got records (>= $before before the damage), $enc encoded"
    done
    ;;
phone)
    need_assets
    [ -f "$phone" ] || { [ "${CI:-}" = true ] && fail "$phone missing"; echo "SKIP: no $phone"; exit 77; }
    # HEVC with negative composition offsets, 29.97 fps, portrait: one record
    # per decoded frame. interval keeps lavapipe's share of the run short.
    rm -f p.jsonl
    "$lookout" run "$phone" --model "$yolox" --labels "$labels" --json p.jsonl --interval 15 \
        2> p.log || { cat p.log; fail "lookout run failed on the phone clip"; }
    cat p.log
    want=$(frames_of "$phone")
    got=$(check_jsonl p.jsonl)
    [ "$got" -eq "$want" ] || fail "p.jsonl has $got records, ffprobe decodes $want frames"
    jq -e 'select(.resolution.width == 1376 and .resolution.height == 1840)' p.jsonl > /dev/null \
        || fail "resolution not 1376x1840"
    # Timestamps never go back, whatever the container's offsets (the
    # decoder gives two frames of this clip the same pts).
    jq '.pts' p.jsonl | awk 'NR > 1 && $1 < prev {exit 1} {prev = $1}' \
        || fail "pts go backwards"
    skipped=$(jq -c 'select(.skipped)' p.jsonl | wc -l)
    [ "$skipped" -eq $((want - (want + 14) / 15)) ] || fail "$skipped skipped records"
    echo "phone: $got records = $want frames, $skipped skipped by interval"
    ;;
live)
    need_assets
    # A live source faster than inference on lavapipe: frames that arrive
    # while the detector is busy pass skipped (drop=newest), every one of
    # them is recorded and counted, and none waits behind more than the
    # inference in flight.
    rm -f l.jsonl
    "$lookout" run testsrc --frames 60 --model "$yolox" --labels "$labels" --json l.jsonl \
        2> l.log || { cat l.log; fail "lookout run testsrc failed"; }
    cat l.log
    got=$(check_jsonl l.jsonl)
    [ "$got" -eq 60 ] || fail "l.jsonl has $got records, want 60"
    busy=$(jq -c 'select(.skip_reason == "busy")' l.jsonl | wc -l)
    inferred=$(jq -c 'select(.skipped == false)' l.jsonl | wc -l)
    [ "$busy" -ge 1 ] && [ "$inferred" -ge 1 ] || fail "$inferred inferred, $busy skipped busy"
    [ "$(jq -s '.[-1].skipped_total' l.jsonl)" -eq "$busy" ] || fail "skipped_total wrong"
    grep -q "$inferred processed, $busy skipped" l.log || fail "summary miscounts skips"
    echo "live: 60 records, $inferred inferred, $busy skipped while busy"
    ;;
errors)
    need_assets
    # One line on stderr and exit 1, for each way a run can be refused.
    one_error() {
        what=$1
        shift
        rc=0
        "$lookout" run "$@" 2> err.log > /dev/null || rc=$?
        [ "$rc" -eq 1 ] || { cat err.log; fail "$what: exit $rc, want 1"; }
        [ "$(wc -l < err.log)" -eq 1 ] || { cat err.log; fail "$what: want one line"; }
        echo "$what: $(cat err.log)"
    }
    printf 'not a model\n' > bad.onnx
    one_error "missing file" /nonexistent/clip.mp4 --model bad.onnx
    one_error "malformed model" "${clip:-x}" --model bad.onnx --json e.jsonl
    one_error "missing model" "${clip:-x}" --model /nonexistent/model.onnx
    one_error "no such device" "$clip" --model "$yolox" --device no-such-gpu
    grep -q "no Vulkan device" err.log || fail "missing device not named"
    one_error "unreachable URL" rtsp://127.0.0.1:9/stream --model "$yolox"
    # AV1 has no decoder in Debian's GStreamer 1.22 set (dav1d is in -bad).
    ffmpeg -v error -y -f lavfi -i testsrc=size=160x120:rate=10 -frames:v 5 -c:v libsvtav1 \
        av1.mkv 2> /dev/null
    one_error "unsupported codec" av1.mkv --model "$yolox"
    grep -q "unsupported format" err.log || fail "unsupported codec not named"
    ;;
default-model)
    need_assets
    builtin=$srcdir/models/road/lookout-road.onnx
    rm -f d.jsonl
    if [ -f "$builtin" ]; then
        "$lookout" run "$clip" --json d.jsonl 2> d.log || { cat d.log; fail "default model run"; }
        cat d.log
        want=$(frames_of "$clip")
        got=$(check_jsonl d.jsonl)
        [ "$got" -eq "$want" ] || fail "d.jsonl has $got records, want $want"
        echo "default model: $got records"
    else
        rc=0
        "$lookout" run "$clip" --json d.jsonl 2> d.log || rc=$?
        [ "$rc" -eq 1 ] && grep -q "built-in model is not installed" d.log \
            || fail "without the built-in model: $(cat d.log)"
        echo "default model absent: refused clearly"
    fi
    ;;
*)
    fail "unknown case $case_name"
    ;;
esac
