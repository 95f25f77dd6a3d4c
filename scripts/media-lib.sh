# The test-stream encoding shared by scripts/make-media.sh (the demo's VOD stream) and scripts/make-abr-media.sh
# (the bench's ABR ladder), sourced by both (POSIX sh). One source for every rendition: 60 s of testsrc2 + a 440 Hz
# tone, 24 fps, H.264/AAC, MPEG-TS segments of exactly 2 s (one closed GOP of 48 frames each).
# Settings are fixed (one encoder thread, bitexact muxing, x264's version SEI dropped) so that the same ffmpeg
# build gives the same bytes. Needs ffmpeg with libx264; ffprobe to check the result.
# The caller sets OUT (the output directory) before calling these functions.

DURATION=60
FPS=24
GOP=$((FPS * 2))

# One rendition into $OUT/<name>/ (index.m3u8 + seg_000.ts …): name, width, height, video kbps, x264 level.
# Audio: 64 kbps mono AAC-LC 48 kHz. Audio and video start at the same timestamp, so players see no hole at 0
# (hls.js would report bufferSeekOverHole): no B-frames (first video PTS = first DTS), and the audio input delayed
# by the AAC encoder's priming (1024 samples).
rendition() {
  name=$1 w=$2 h=$3 kbps=$4 level=$5
  mkdir -p "$OUT/$name"
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

# BANDWIDTH = the peak segment bitrate, AVERAGE-BANDWIDTH = the mean, both measured from the files of
# $OUT/<name>/ (every segment lasts 2 s).
bandwidth() {
  for f in "$OUT/$1"/seg_*.ts; do wc -c <"$f"; done | awk '
    { bits = $1 * 8 / 2; if (bits > peak) peak = bits; sum += bits; n++ }
    END { printf "BANDWIDTH=%d,AVERAGE-BANDWIDTH=%d", peak, sum / n }'
}

# $OUT/master.m3u8 listing the renditions given as triples: name, WIDTHxHEIGHT, CODECS
# (H.264 Main@3.0 = avc1.4d401e, Main@3.1 = avc1.4d401f; AAC-LC = mp4a.40.2).
master_playlist() {
  {
    echo '#EXTM3U'
    echo '#EXT-X-VERSION:3'
    echo '#EXT-X-INDEPENDENT-SEGMENTS'
    while [ $# -ge 3 ]; do
      echo "#EXT-X-STREAM-INF:$(bandwidth "$1"),RESOLUTION=$2,FRAME-RATE=${FPS}.000,CODECS=\"$3\""
      echo "$1/index.m3u8"
      shift 3
    done
  } >"$OUT/master.m3u8"
}

# Checks with ffprobe (when present) that every segment under $OUT holds exactly one GOP (2 s) and starts on a key
# frame (exits 1 if not), then prints the sizes.
check_renditions() {
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
}
