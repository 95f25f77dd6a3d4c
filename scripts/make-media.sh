#!/bin/sh
# Regenerates the demo test stream: 60 s of H.264/AAC (testsrc2 + a 440 Hz tone, 24 fps) as a VOD HLS ladder
# of two renditions with MPEG-TS segments of exactly 2 s (one closed GOP of 48 frames each).
#   demo/media/vod/master.m3u8, demo/media/vod/{180p,360p}/index.m3u8 + seg_000.ts …
# Settings are fixed (one encoder thread, bitexact muxing, x264's version SEI dropped) so that the same ffmpeg
# build gives the same bytes. Needs ffmpeg with libx264; ffprobe to check the result.
set -eu

cd "$(dirname "$0")/.."
OUT=demo/media/vod
DURATION=60
FPS=24
GOP=$((FPS * 2))

rm -rf "$OUT"
mkdir -p "$OUT/180p" "$OUT/360p"

# One rendition: name, width, height, video kbps, x264 level. Audio: 64 kbps mono AAC-LC 48 kHz.
# Audio and video start at the same timestamp, so players see no hole at 0 (hls.js would report bufferSeekOverHole):
# no B-frames (first video PTS = first DTS), and the audio input delayed by the AAC encoder's priming (1024 samples).
rendition() {
  name=$1 w=$2 h=$3 kbps=$4 level=$5
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=${w}x${h}:rate=${FPS}:duration=${DURATION}" \
    -itsoffset 0.021333 -f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=48000:duration=${DURATION}" \
    -map 0:v -map 1:a \
    -c:v libx264 -threads 1 -preset medium -profile:v main -level:v "$level" -pix_fmt yuv420p \
    -b:v "${kbps}k" -maxrate "$((kbps * 6 / 5))k" -bufsize "$((kbps * 2))k" \
    -bf 0 -g "$GOP" -keyint_min "$GOP" -sc_threshold 0 -x264-params open-gop=0 \
    -bsf:v filter_units=remove_types=6 \
    -c:a aac -b:a 64k -ac 1 -ar 48000 \
    -fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1 \
    -f hls -hls_time 2 -hls_playlist_type vod -hls_flags independent_segments \
    -hls_segment_type mpegts -hls_segment_filename "$OUT/$name/seg_%03d.ts" \
    "$OUT/$name/index.m3u8"
}

rendition 180p 320 180 150 3.0
rendition 360p 640 360 400 3.0

# BANDWIDTH = the peak segment bitrate, AVERAGE-BANDWIDTH = the mean, both measured from the files
# (every segment lasts 2 s). CODECS: H.264 Main@3.0 (avc1.4d401e) + AAC-LC (mp4a.40.2).
bandwidth() {
  for f in "$OUT/$1"/seg_*.ts; do wc -c <"$f"; done | awk '
    { bits = $1 * 8 / 2; if (bits > peak) peak = bits; sum += bits; n++ }
    END { printf "BANDWIDTH=%d,AVERAGE-BANDWIDTH=%d", peak, sum / n }'
}

{
  echo '#EXTM3U'
  echo '#EXT-X-VERSION:3'
  echo '#EXT-X-INDEPENDENT-SEGMENTS'
  echo "#EXT-X-STREAM-INF:$(bandwidth 180p),RESOLUTION=320x180,FRAME-RATE=24.000,CODECS=\"avc1.4d401e,mp4a.40.2\""
  echo '180p/index.m3u8'
  echo "#EXT-X-STREAM-INF:$(bandwidth 360p),RESOLUTION=640x360,FRAME-RATE=24.000,CODECS=\"avc1.4d401e,mp4a.40.2\""
  echo '360p/index.m3u8'
} >"$OUT/master.m3u8"

# Check with ffprobe: every segment holds exactly 48 video frames (2 s) and starts on a key frame.
if command -v ffprobe >/dev/null 2>&1; then
  for f in "$OUT"/*/seg_*.ts; do
    frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets \
      -of default=nw=1:nk=1 "$f" | head -n 1)
    first=$(ffprobe -v error -select_streams v:0 -read_intervals '%+#1' -show_entries packet=flags \
      -of default=nw=1:nk=1 "$f" | head -n 1)
    if [ "$frames" != "$GOP" ] || [ "${first#K}" = "$first" ]; then
      echo "bad segment $f: $frames frames, first packet flags $first" >&2
      exit 1
    fi
  done
  echo "checked: every segment is $GOP frames starting on a key frame"
fi
du -sh "$OUT"/*/
du -sh "$OUT"
