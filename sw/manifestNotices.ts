import type { ManifestNotice } from '../core/contract';
import type { ParsedManifest } from '../core/manifest/types';
import { segmentKey } from '../core/segmentKey';
import { swarmId } from '../core/swarmId';

/** Most segments per rendition sent to the agent (the agent only looks ahead of the playhead anyway). */
const MAX_ENTRIES = 3000;

/** What the agent needs of a parsed manifest: per rendition, its swarm and its segments' keys in order. */
export function manifestNotices(parsed: ParsedManifest, siteOrigin: string): ManifestNotice[] {
  const out: ManifestNotice[] = [];
  for (const r of parsed.renditions) {
    const first = r.segments[0];
    const swarm = first ? swarmId(siteOrigin, first.url) : null;
    if (!swarm) continue;
    const entries: ManifestNotice['entries'] = [];
    // VOD: from the start; live: the newest (the live edge)
    for (const s of parsed.live ? r.segments.slice(-MAX_ENTRIES) : r.segments.slice(0, MAX_ENTRIES)) {
      const key = segmentKey(s.url, s.range);
      if (key && swarmId(siteOrigin, s.url) === swarm) entries.push({ key, url: s.url, durationSec: s.durationSec, seq: s.seq });
    }
    out.push({ swarm, live: parsed.live, entries });
  }
  return out;
}
