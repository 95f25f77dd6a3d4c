import { SwarmError } from '../SwarmError';
import { assertManifestSize } from './assertManifestSize';
import { collectDashSegmentInfo } from './collectDashSegmentInfo';
import { dashPeriodTiming } from './dashPeriodTiming';
import type { DashContext, DashSegments } from './dashTypes';
import { expandSegmentBase } from './expandSegmentBase';
import { expandSegmentList } from './expandSegmentList';
import { expandSegmentTemplate } from './expandSegmentTemplate';
import { parseSafeInteger } from './parseDecimal';
import { parseIsoDateTime } from './parseIsoDateTime';
import { parseIsoDuration } from './parseIsoDuration';
import { parseXml, type XmlElement } from './parseXml';
import { MANIFEST_LIMITS, type ParsedManifest, type Rendition } from './types';
import { UrlResolver } from './UrlResolver';
import { xmlChild, xmlChildren } from './xmlChildren';

/** `base` refined by the element's first BaseURL child (further BaseURLs are alternative locations). */
function withBaseUrl(element: XmlElement, base: string, resolver: UrlResolver): string {
  const ref = xmlChild(element, 'BaseURL')?.text.trim() ?? '';
  return ref === '' ? base : resolver.resolve(ref, base);
}

function expand(levels: XmlElement[], ctx: DashContext): DashSegments {
  const info = collectDashSegmentInfo(levels);
  switch (info.kind) {
    case 'template':
      return expandSegmentTemplate(info, ctx);
    case 'list':
      return expandSegmentList(info, ctx);
    default:
      return expandSegmentBase(info, ctx);
  }
}

/**
 * Parses a DASH MPD. `url` is its absolute URL; `nowMs` (default Date.now()) places the live edge of a dynamic
 * MPD against @availabilityStartTime. Static MPDs use the first Period, dynamic ones the last. One rendition per
 * Representation (document order, at most MANIFEST_LIMITS.maxRenditions). Throws SwarmError 'size-exceeded' for
 * text over MANIFEST_LIMITS.maxTextBytes (or an expansion over its URL / element budgets) and
 * 'protocol-violation' for what cannot be read (malformed XML, no MPD root or Period, bad numbers or URLs).
 */
export function parseDashMpd(text: string, url: string, nowMs?: number): ParsedManifest {
  assertManifestSize(text);
  const mpd = parseXml(text);
  if (mpd.name !== 'MPD') throw new SwarmError('protocol-violation', 'DASH: root element is not MPD');
  const periods = xmlChildren(mpd, 'Period');
  if (periods.length === 0) throw new SwarmError('protocol-violation', 'DASH: MPD without Period');

  const live = mpd.attrs.get('type')?.trim() === 'dynamic';
  const periodIndex = live ? periods.length - 1 : 0;
  const period = periods[periodIndex]!;
  const timing = dashPeriodTiming(periods, periodIndex, parseIsoDuration(mpd.attrs.get('mediaPresentationDuration')));
  const availabilityStartMs = parseIsoDateTime(mpd.attrs.get('availabilityStartTime'));
  const now = nowMs ?? Date.now();
  const elapsedSec =
    live && availabilityStartMs !== null && Number.isFinite(now)
      ? (now - availabilityStartMs) / 1000 - (timing.startSec ?? 0)
      : null;

  const resolver = new UrlResolver();
  const periodBase = withBaseUrl(period, withBaseUrl(mpd, url, resolver), resolver);
  const renditions: Rendition[] = [];
  adaptationSets: for (const adaptationSet of xmlChildren(period, 'AdaptationSet')) {
    const setBase = withBaseUrl(adaptationSet, periodBase, resolver);
    for (const representation of xmlChildren(adaptationSet, 'Representation')) {
      if (renditions.length >= MANIFEST_LIMITS.maxRenditions) break adaptationSets;
      const id = representation.attrs.get('id') ?? String(renditions.length);
      const bandwidth = parseSafeInteger(representation.attrs.get('bandwidth'));
      const ctx: DashContext = {
        live,
        baseUrl: withBaseUrl(representation, setBase, resolver),
        representationId: id,
        bandwidth,
        periodDurationSec: timing.durationSec,
        elapsedSec,
        timeShiftBufferDepthSec: parseIsoDuration(mpd.attrs.get('timeShiftBufferDepth')),
        resolver,
      };
      const { init, segments } = expand([period, adaptationSet, representation], ctx);
      renditions.push({ id, bandwidth, init, segments });
    }
  }
  return {
    kind: 'dash',
    live,
    targetDurationSec: parseIsoDuration(mpd.attrs.get('maxSegmentDuration')),
    variants: [],
    renditions,
  };
}
