#!/bin/sh
# Makes the bench's ABR test stream (bench scenario `vod-abr`), on demand: not committed, demo/media/abr is in
# .gitignore. The encoding of scripts/make-media.sh (scripts/media-lib.sh: the same source, GOP and 2 s MPEG-TS
# segmenting, fixed settings, so the same ffmpeg build gives the same bytes) as a ladder of four renditions of
# ~0.3, ~0.5, ~0.8 and ~1.5 Mbit/s (measured, audio and TS overhead included). hls.js switches up only when its
# estimate × 0.7 (abrBandWidthUpFactor) exceeds the next level's bitrate: on the bench's `slow` line (1 Mbit/s,
# estimate ~0.95) it can hold the ~0.5 rung and no higher, so an estimate inflated by fast store/peer answers shows
# as a switch to ~0.8/1.5 (and a deflated one as a drop to ~0.3); on dsl/mobile every rung fits.
#   demo/media/abr/master.m3u8, demo/media/abr/{180p,270p,360p,540p}/index.m3u8 + seg_000.ts …, and the integrity
#   manifest + the segments' hashes in the media playlists (swarmfetch-server hash --playlists), so peers' bytes
#   are checked.
# Usage: sh scripts/make-abr-media.sh [--force] [DEST]   (DEST relative to the repository, default demo/media/abr)
# Cached: does nothing when DEST is complete and was made by these scripts as they are now (DEST/.generator holds
# the SHA-256 of scripts/media-lib.sh + this file); --force makes it again. Made in a temporary directory next to
# DEST and renamed to DEST when complete, so an interrupted run never leaves a DEST that looks complete.
# Needs ffmpeg with libx264 and the built server CLI (npm run build: server/dist/cli.js).
set -eu

cd "$(dirname "$0")/.."
. scripts/media-lib.sh

FORCE=0
if [ "${1:-}" = "--force" ]; then FORCE=1; shift; fi
DEST=${1:-demo/media/abr}
GENERATOR=$(cat scripts/media-lib.sh scripts/make-abr-media.sh | sha256sum | cut -d' ' -f1)

if [ "$FORCE" = 0 ] && [ -f "$DEST/.generator" ] && [ "$(cat "$DEST/.generator")" = "$GENERATOR" ]; then
  echo "make-abr-media: $DEST is up to date (--force to make it again)"
  exit 0
fi
if ! command -v ffmpeg >/dev/null 2>&1 || ! ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libx264; then
  echo "make-abr-media: needs ffmpeg with libx264 on PATH (Debian/Ubuntu: apt-get install ffmpeg) to make $DEST" >&2
  exit 1
fi
if [ ! -f server/dist/cli.js ]; then
  echo "make-abr-media: needs the built server CLI to hash $DEST: run npm run build first" >&2
  exit 1
fi

mkdir -p "$(dirname "$DEST")"
OUT=$(mktemp -d "$(dirname "$DEST")/.$(basename "$DEST").partial.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
trap 'exit 1' HUP INT TERM
chmod 755 "$OUT"

rendition 180p 320 180 200 3.0
rendition 270p 480 270 390 3.0
rendition 360p 640 360 660 3.0
rendition 540p 960 540 1380 3.1
master_playlist 180p 320x180 avc1.4d401e,mp4a.40.2 270p 480x270 avc1.4d401e,mp4a.40.2 \
  360p 640x360 avc1.4d401e,mp4a.40.2 540p 960x540 avc1.4d401f,mp4a.40.2
check_renditions
# the integrity manifest (swarmfetch-integrity.json, one per rendition too) and the segments' hashes in the playlists
node server/bin/swarmfetch-server.js hash "$OUT" --playlists
echo "$GENERATOR" >"$OUT/.generator"

rm -rf "$DEST"
mv "$OUT" "$DEST"
cat "$DEST/master.m3u8"
