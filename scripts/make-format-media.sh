#!/bin/sh
# Regenerates the small test streams of every format swarmfetch is tested with (the TS HLS stream is
# scripts/make-media.sh). 12 s of H.264 video (testsrc2, 24 fps, closed 2 s GOPs), two renditions encoded once and
# remuxed (no re-encoding) into each format:
#   demo/media/fmp4/master.m3u8          HLS, fMP4 segments (.m4s + init.mp4), two renditions
#   demo/media/byterange/master.m3u8     HLS, EXT-X-BYTERANGE into one .ts file per rendition
#   demo/media/dash/manifest.mpd         DASH SegmentTemplate, $Number$
#   demo/media/dash-time/manifest.mpd    DASH SegmentTemplate + SegmentTimeline, $Time$
#   demo/media/dash-base/manifest.mpd    DASH SegmentBase: one fragmented MP4 per rendition, ranges from its sidx
#   demo/media/mp4/video.mp4             progressive MP4 (H.264 + AAC, 20 s, faststart) for a plain <video src>
# Needs ffmpeg with libx264 and node. Settings are fixed (one thread, bitexact) so one ffmpeg build gives the same bytes.
set -eu

cd "$(dirname "$0")/.."
M=demo/media
DURATION=12
FPS=24
GOP=$((FPS * 2))
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
BITEXACT="-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1"

# name width height kbps → $TMP/name.mp4 (video only)
encode() {
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=size=$2x$3:rate=${FPS}:duration=${DURATION}" \
    -c:v libx264 -threads 1 -preset medium -profile:v main -level:v 3.0 -pix_fmt yuv420p \
    -b:v "$4k" -maxrate "$(($4 * 6 / 5))k" -bufsize "$(($4 * 2))k" \
    -bf 0 -g "$GOP" -keyint_min "$GOP" -sc_threshold 0 -x264-params open-gop=0 \
    -bsf:v filter_units=remove_types=6 $BITEXACT "$TMP/$1.mp4"
}
encode 180p 320 180 120
encode 360p 640 360 300

rm -rf "$M/fmp4" "$M/byterange" "$M/dash" "$M/dash-time" "$M/dash-base" "$M/mp4"
mkdir -p "$M/fmp4/180p" "$M/fmp4/360p" "$M/byterange/180p" "$M/byterange/360p" "$M/dash" "$M/dash-time" \
  "$M/dash-base" "$M/mp4"

# HLS: name dir segment-type extra-flags
hls() {
  if [ "$3" = fmp4 ]; then
    set -- "$1" "$2" "$3" -hls_fmp4_init_filename init.mp4 -hls_segment_filename "$M/$2/$1/seg_%03d.m4s"
  else
    set -- "$1" "$2" "$3" -hls_flags single_file+independent_segments
  fi
  name=$1 dir=$2 type=$3
  shift 3
  ffmpeg -hide_banner -loglevel error -y -i "$TMP/$name.mp4" -c copy $BITEXACT \
    -f hls -hls_time 2 -hls_playlist_type vod -hls_segment_type "$type" "$@" "$M/$dir/$name/index.m3u8"
}
master() {
  {
    echo '#EXTM3U'
    echo "#EXT-X-VERSION:$2"
    echo '#EXT-X-INDEPENDENT-SEGMENTS'
    echo '#EXT-X-STREAM-INF:BANDWIDTH=160000,RESOLUTION=320x180,FRAME-RATE=24.000,CODECS="avc1.4d401e"'
    echo '180p/index.m3u8'
    echo '#EXT-X-STREAM-INF:BANDWIDTH=400000,RESOLUTION=640x360,FRAME-RATE=24.000,CODECS="avc1.4d401e"'
    echo '360p/index.m3u8'
  } >"$M/$1/master.m3u8"
}
for r in 180p 360p; do hls $r fmp4 fmp4; hls $r byterange mpegts; done
master fmp4 7
master byterange 4

# DASH SegmentTemplate: dir use_timeline media-name
dash() {
  ffmpeg -hide_banner -loglevel error -y -i "$TMP/180p.mp4" -i "$TMP/360p.mp4" -map 0:v -map 1:v -c copy $BITEXACT \
    -f dash -adaptation_sets "id=0,streams=v" -seg_duration 2 -use_template 1 -use_timeline "$2" -single_file 0 \
    -init_seg_name 'init_$RepresentationID$.m4s' -media_seg_name "$3" "$M/$1/manifest.mpd"
}
dash dash 0 'seg_$RepresentationID$_$Number%03d$.m4s'
dash dash-time 1 'seg_$RepresentationID$_$Time$.m4s'

# DASH SegmentBase: fragmented MP4 with one global sidx; the MPD points at its byte ranges
for r in 180p 360p; do
  ffmpeg -hide_banner -loglevel error -y -i "$TMP/$r.mp4" -c copy $BITEXACT \
    -f mp4 -movflags +frag_keyframe+empty_moov+default_base_moof+global_sidx "$M/dash-base/$r.mp4"
done
node scripts/writeSegmentBaseMpd.mjs "$M/dash-base" "$DURATION" 180p:320x180:160000 360p:640x360:400000

# Progressive MP4 (with sound), moov first
ffmpeg -hide_banner -loglevel error -y \
  -f lavfi -i "testsrc2=size=640x360:rate=${FPS}:duration=20" \
  -f lavfi -i "sine=frequency=440:beep_factor=4:sample_rate=48000:duration=20" \
  -map 0:v -map 1:a -c:v libx264 -threads 1 -preset medium -profile:v main -level:v 3.0 -pix_fmt yuv420p \
  -b:v 1000k -maxrate 1200k -bufsize 2000k -bf 0 -g "$GOP" -keyint_min "$GOP" -sc_threshold 0 \
  -bsf:v filter_units=remove_types=6 -c:a aac -b:a 64k -ac 1 -ar 48000 $BITEXACT \
  -movflags +faststart "$M/mp4/video.mp4"

du -sh "$M/fmp4" "$M/byterange" "$M/dash" "$M/dash-time" "$M/dash-base" "$M/mp4"
