#!/bin/sh
# End-to-end pipeline throughput on a 720p and a 1080p clip, in one run:
#   decode alone        filesrc ! decodebin ! videoconvert ! fakesink
#   decode + detect     lookout run CLIP                 (lkdetect, no outputs)
#   full pipeline       lookout run CLIP --json --out    (+ lkoverlay, x264enc MP4, JSON Lines)
# so the pipeline's own cost (overlay, encoding, JSON) shows against
# detection and decoding. The detect and full rows use lookout run's own
# fps (first frame into lkdetect to last frame out, so model loading is not
# counted); decode alone is wall time. The 1080p clip is made from
# PandaSet's 80 front-camera JPEGs (1920x1080, 10 fps) with ffmpeg into the
# work directory; the 720p clip is Udacity's test_video.mp4.
#   tools/bench-pipeline.sh [BUILD_DIR] [MODEL] [LABELS]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
shared=${LOOKOUT_SHARED:-../shared}
model=${2:-$shared/assets/models/yolox_nano/yolox_nano.onnx}
labels=${3:-$shared/assets/models/yolox_nano/coco_classes.txt}
lookout=$PWD/$build/pipeline/lookout
work=$PWD/$build/bench-pipeline
mkdir -p "$work"

clip720=$shared/assets/footage/udacity-vehicle-detection/test_video.mp4
clip1080=$work/pandaset-seq002-front-1080p.mp4
if [ ! -f "$clip1080" ]; then
    ffmpeg -v error -y -framerate 10 -i "$shared/assets/footage/pandaset-seq002/camera/front_camera/%02d.jpg" \
        -c:v libx264 -preset medium -crf 18 -pix_fmt yuv420p "$clip1080"
fi

now() { date +%s.%N; }
frames_of() {
    ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
        -of csv=p=0 "$1"
}
run_fps() { sed -n 's/^lookout run: .* (\([0-9.]*\) fps).*/\1/p' "$1"; }
inference_ms() { sed -n 's/.*inference mean \([0-9.]*\) ms.*/\1/p' "$1"; }

echo "device: $("$lookout" devices 2>/dev/null | sed -n 's/^ \* [0-9]* *//p' | cut -c1-40)"
echo "model: $(basename "$model"); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
printf '| clip | frames | decode alone fps | decode + detect fps | full pipeline fps | inference ms (detect / full) | pipeline overhead |\n'
printf '|---|---|---|---|---|---|---|\n'
for clip in "$clip720" "$clip1080"; do
    n=$(frames_of "$clip")
    size=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=s=x:p=0 "$clip")
    t0=$(now)
    gst-launch-1.0 -q filesrc location="$clip" ! decodebin ! videoconvert ! fakesink sync=false
    t1=$(now)
    decode=$(echo "$n $t0 $t1" | awk '{printf "%.1f", $1 / ($3 - $2)}')
    "$lookout" run "$clip" --model "$model" --labels "$labels" 2> "$work/detect.log"
    "$lookout" run "$clip" --model "$model" --labels "$labels" --json "$work/out.jsonl" \
        --out "$work/out.mp4" 2> "$work/full.log"
    detect=$(run_fps "$work/detect.log")
    full=$(run_fps "$work/full.log")
    over=$(echo "$detect $full" | awk '{printf "%+.0f%%", ($1 / $2 - 1) * 100}')
    printf '| %s %s | %s | %s | %s | %s | %s / %s | %s |\n' "$(basename "$clip")" "$size" "$n" \
        "$decode" "$detect" "$full" "$(inference_ms "$work/detect.log")" \
        "$(inference_ms "$work/full.log")" "$over"
done
