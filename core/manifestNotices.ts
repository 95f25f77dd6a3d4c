import { segmentKey, swarmId, type ManifestNotice, type ManifestText } from './contract';
import { parseManifest } from './manifest/parseManifest';
import { MANIFEST_LIMITS, type ParsedManifest } from './manifest/types';

/** Most segments per rendition sent to the agent (the agent only looks ahead of the playhead anyway). */
const MAX_ENTRIES = 3000;

/**
 * What the agent needs of a parsed manifest: per rendition, its swarm and its segments' keys in order (for an HLS
 * master, each variant's swarm with no segments yet).
 */
export function manifestNotices(parsed: ParsedManifest, siteOrigin: string): ManifestNotice[] {
  const out: ManifestNotice[] = [];
  // an HLS master: each variant's swarm (its playlist's directory), so the page joins before the player picks one,
  // with the rate of the rung above it
  const rates = parsed.variantBitsPerSec ?? [];
  parsed.variants.forEach((v, i) => {
    const swarm = swarmId(siteOrigin, v);
    if (!swarm || out.some((n) => n.swarm === swarm)) return;
    const notice: ManifestNotice = { swarm, live: false, entries: [] };
    const up = nextRungUp(rates[i] ?? null, rates);
    if (up !== null) notice.nextUpBitsPerSec = up;
    out.push(notice);
  });
  for (const r of parsed.renditions) {
    const first = r.segments[0];
    const swarm = first ? swarmId(siteOrigin, first.url) : null;
    if (!swarm) continue;
    const entries: ManifestNotice['entries'] = [];
    // VOD: from the start; live: the newest (the live edge)
    for (const s of parsed.live ? r.segments.slice(-MAX_ENTRIES) : r.segments.slice(0, MAX_ENTRIES)) {
      const key = segmentKey(s.url, s.range);
      if (!key || swarmId(siteOrigin, s.url) !== swarm) continue;
      const entry: ManifestNotice['entries'][number] = { key, url: s.url, durationSec: s.durationSec, seq: s.seq };
      if (s.sha256) entry.sha256 = s.sha256;
      entries.push(entry);
    }
    out.push({ swarm, live: parsed.live, entries });
  }
  return out;
}

/** The smallest rate in `rates` above `own`; null when `own` is unknown or the top. */
function nextRungUp(own: number | null, rates: ReadonlyArray<number | null>): number | null {
  if (own === null) return null;
  let up: number | null = null;
  for (const r of rates) if (r !== null && r > own && (up === null || r < up)) up = r;
  return up;
}

/** Parses a manifest the worker saw pass by (bounded), into notices; none when it is not one. */
export function noticesFromText(m: ManifestText, nowMs: number): ManifestNotice[] {
  if (typeof m?.text !== 'string' || m.text.length > MANIFEST_LIMITS.maxTextBytes) return [];
  if (typeof m.url !== 'string' || typeof m.siteOrigin !== 'string') return [];
  const parsed = parseManifest(m.text, m.url, typeof m.contentType === 'string' ? m.contentType : null, nowMs);
  return parsed ? manifestNotices(parsed, m.siteOrigin) : [];
}
