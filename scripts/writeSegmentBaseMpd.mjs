// Writes a DASH SegmentBase manifest for fragmented MP4 files (one per rendition, each with one global sidx):
// Initialization = ftyp+moov, indexRange = the sidx box. Used by scripts/make-format-media.sh.
//   node scripts/writeSegmentBaseMpd.mjs DIR DURATION_SEC name:WxH:bandwidth ...
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, durationSec, ...renditions] = process.argv.slice(2);

/** Top-level MP4 boxes: [{ type, start, end }] (end inclusive). */
function boxes(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    const size = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (size < 8) throw new Error(`unsupported box size ${size} at ${at}`);
    out.push({ type, start: at, end: at + size - 1 });
    at += size;
  }
  return out;
}

const reps = renditions.map((spec) => {
  const [name, res, bandwidth] = spec.split(':');
  const [width, height] = res.split('x');
  const found = boxes(readFileSync(join(dir, `${name}.mp4`)));
  const moov = found.find((b) => b.type === 'moov');
  const sidx = found.find((b) => b.type === 'sidx');
  if (!moov || !sidx) throw new Error(`${name}.mp4: no moov or sidx`);
  return `      <Representation id="${name}" mimeType="video/mp4" codecs="avc1.4d401e" width="${width}" height="${height}" frameRate="24" bandwidth="${bandwidth}">
        <BaseURL>${name}.mp4</BaseURL>
        <SegmentBase indexRange="${sidx.start}-${sidx.end}">
          <Initialization range="0-${moov.end}"/>
        </SegmentBase>
      </Representation>`;
});

writeFileSync(
  join(dir, 'manifest.mpd'),
  `<?xml version="1.0" encoding="utf-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011" type="static" mediaPresentationDuration="PT${durationSec}S" minBufferTime="PT2S">
  <Period id="0" start="PT0S">
    <AdaptationSet contentType="video" segmentAlignment="true" startWithSAP="1">
${reps.join('\n')}
    </AdaptationSet>
  </Period>
</MPD>
`,
);
