import type { DashContext, DashSegmentInfo, DashSegments } from './dashTypes';
import { dashWindow } from './dashWindow';
import { parseDashRange } from './parseDashRange';
import { readBigIntAttr, readIntAttr, readPositiveAttr } from './readIntAttr';
import { readDashInitialization } from './readDashInitialization';
import { readSegmentTimeline, walkTimeline } from './readSegmentTimeline';
import type { ManifestSegment } from './types';

/**
 * Expands a SegmentList: one segment per SegmentURL (@media, absent = the BaseURL; @mediaRange), durations from
 * a SegmentTimeline, else @duration/@timescale, else the period split evenly. VOD keeps the first
 * maxSegmentsPerRendition entries, live the last.
 */
export function expandSegmentList(info: DashSegmentInfo, ctx: DashContext): DashSegments {
  const attrs = info.attrs;
  const timescale = readPositiveAttr(attrs, 'timescale') ?? 1;
  const startNumber = readIntAttr(attrs, 'startNumber', 1);
  const pto = readBigIntAttr(attrs, 'presentationTimeOffset', 0n) ?? 0n;
  const init = readDashInitialization(info.initialization, undefined, ctx);
  const urls = info.segmentUrls;
  const { from, to } = dashWindow(urls.length, ctx.live);

  // [startSec, durationSec] per kept entry
  const timing: [number, number][] = [];
  if (info.timeline !== null) {
    const runs = readSegmentTimeline(info.timeline, { endTime: null, roundUp: !ctx.live });
    let origin: bigint | null = ctx.live ? null : pto;
    walkTimeline(runs, from, to, (_index, t, d) => {
      origin ??= t;
      timing.push([Number(t - origin) / timescale, Number(d) / timescale]);
    });
  } else {
    const duration = readPositiveAttr(attrs, 'duration');
    const period = ctx.periodDurationSec;
    const segDurSec =
      duration !== null ? duration / timescale : period !== null && urls.length > 0 ? period / urls.length : 0;
    for (let i = from; i < to; i++) timing.push([(ctx.live ? i - from : i) * segDurSec, segDurSec]);
  }

  const segments: ManifestSegment[] = [];
  for (let i = from; i < to; i++) {
    const entry = urls[i]!;
    const [startSec, durationSec] = timing[i - from] ?? [0, 0];
    const media = entry.attrs.get('media')?.trim() ?? '';
    const url = media === '' ? ctx.baseUrl : ctx.resolver.resolve(media, ctx.baseUrl);
    const range = parseDashRange(entry.attrs.get('mediaRange'));
    segments.push({ url, range, durationSec, seq: startNumber + i, startSec });
  }
  return { init, segments };
}
