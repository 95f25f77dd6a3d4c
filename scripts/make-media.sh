#!/bin/sh
# Regenerates the demo test stream: 60 s of H.264/AAC (testsrc2 + a 440 Hz tone, 24 fps) as a VOD HLS ladder
# of two renditions with MPEG-TS segments of exactly 2 s (one closed GOP of 48 frames each).
#   demo/media/vod/master.m3u8, demo/media/vod/{180p,360p}/index.m3u8 + seg_000.ts …
# Usage: sh scripts/make-media.sh [OUT]   (OUT, relative to the repository: default demo/media/vod; removed first)
# The encoding (fixed settings: the same ffmpeg build gives the same bytes) is scripts/media-lib.sh's, shared with
# scripts/make-abr-media.sh. Needs ffmpeg with libx264; ffprobe to check the result.
set -eu

cd "$(dirname "$0")/.."
. scripts/media-lib.sh
OUT=${1:-demo/media/vod}

rm -rf "$OUT"

rendition 180p 320 180 150 3.0
rendition 360p 640 360 400 3.0
master_playlist 180p 320x180 avc1.4d401e,mp4a.40.2 360p 640x360 avc1.4d401e,mp4a.40.2
check_renditions
