import type { DashContext, DashSegmentInfo, DashSegments } from './dashTypes';
import { dashWindow } from './dashWindow';
import { formatDashTemplate, type DashTemplateValues } from './formatDashTemplate';
import { readBigIntAttr, readIntAttr, readPositiveAttr } from './readIntAttr';
import { readDashInitialization } from './readDashInitialization';
import { countTimeline, readSegmentTimeline, walkTimeline } from './readSegmentTimeline';
import { MANIFEST_LIMITS, type ManifestSegment } from './types';

const EPSILON = 1e-9;
const MAX_INDEX = Number.MAX_SAFE_INTEGER - MANIFEST_LIMITS.maxSegmentsPerRendition;

/** Segment indices (from the period start) of a number-based template: VOD by period length, live by the clock. */
function numberWindow(segDurSec: number, ctx: DashContext): { first: number; last: number } {
  const cap = MANIFEST_LIMITS.maxSegmentsPerRendition;
  const inPeriod = ctx.periodDurationSec === null ? null : Math.ceil(ctx.periodDurationSec / segDurSec - EPSILON);
  if (!ctx.live) {
    const total = inPeriod === null ? 0 : Math.min(cap, inPeriod);
    return { first: 0, last: total - 1 };
  }
  if (ctx.elapsedSec === null) return { first: 0, last: -1 };
  let last = Math.floor(ctx.elapsedSec / segDurSec + EPSILON) - 1; // segments that have ended by now
  if (inPeriod !== null) last = Math.min(last, inPeriod - 1);
  last = Math.min(last, MAX_INDEX);
  let first = 0;
  const depth = ctx.timeShiftBufferDepthSec;
  if (depth !== null) first = Math.max(0, Math.ceil((ctx.elapsedSec - depth) / segDurSec - EPSILON) - 1);
  first = Math.max(first, last - cap + 1);
  return Number.isFinite(first) && Number.isFinite(last) ? { first, last } : { first: 0, last: -1 };
}

/**
 * Expands a SegmentTemplate: SegmentTimeline (time-based, `$Time$` or `$Number$`) or @duration (number-based;
 * VOD count = ceil(period duration / segment duration), live = the segments available at `ctx.elapsedSec`
 * within timeShiftBufferDepth). Lists are capped at MANIFEST_LIMITS.maxSegmentsPerRendition without allocating
 * beyond it.
 */
export function expandSegmentTemplate(info: DashSegmentInfo, ctx: DashContext): DashSegments {
  const attrs = info.attrs;
  const timescale = readPositiveAttr(attrs, 'timescale') ?? 1;
  const startNumber = readIntAttr(attrs, 'startNumber', 1);
  const endNumber = readIntAttr(attrs, 'endNumber', null);
  const pto = readBigIntAttr(attrs, 'presentationTimeOffset', 0n) ?? 0n;
  const init = readDashInitialization(info.initialization, attrs.get('initialization'), ctx);
  const media = attrs.get('media')?.trim();
  const segments: ManifestSegment[] = [];
  if (media === undefined || media === '') return { init, segments };
  const maxIndex = endNumber === null ? Number.MAX_SAFE_INTEGER : endNumber - startNumber;

  const push = (index: number, time: bigint, durationSec: number, startSec: number): void => {
    const values: DashTemplateValues = {
      RepresentationID: ctx.representationId,
      Bandwidth: ctx.bandwidth,
      Number: startNumber + index,
      Time: time,
    };
    const url = ctx.resolver.resolve(formatDashTemplate(media, values), ctx.baseUrl);
    segments.push({ url, range: null, durationSec, seq: startNumber + index, startSec });
  };

  if (info.timeline !== null) {
    const endTime = timelineEnd(timescale, pto, ctx);
    const runs = readSegmentTimeline(info.timeline, { endTime, roundUp: !ctx.live });
    const { from, to } = dashWindow(Math.min(countTimeline(runs), maxIndex + 1), ctx.live);
    let origin: bigint | null = ctx.live ? null : pto;
    walkTimeline(runs, from, to, (index, t, d) => {
      origin ??= t;
      push(index, t, Number(d) / timescale, Number(t - origin) / timescale);
    });
    return { init, segments };
  }

  const duration = readPositiveAttr(attrs, 'duration');
  if (duration === null) return { init, segments };
  const segDurSec = duration / timescale;
  const { first, last } = numberWindow(segDurSec, ctx);
  const count = Math.min(last, maxIndex) - first + 1;
  const periodEnd = ctx.periodDurationSec;
  for (let k = 0; k < count; k++) {
    const index = first + k;
    const start = index * segDurSec;
    const durationSec = !ctx.live && periodEnd !== null ? Math.min(segDurSec, periodEnd - start) : segDurSec;
    const time = pto + BigInt(Math.round(index * duration));
    push(index, time, durationSec, ctx.live ? k * segDurSec : start);
  }
  return { init, segments };
}

/** Media time where an open-ended S@r="-1" stops: the period end (VOD) or now (live); null when unknown. */
function timelineEnd(timescale: number, pto: bigint, ctx: DashContext): bigint | null {
  const sec = ctx.live ? ctx.elapsedSec : ctx.periodDurationSec;
  if (sec === null) return null;
  const ticks = ctx.live ? Math.floor(sec * timescale) : Math.round(sec * timescale);
  if (!Number.isFinite(ticks)) return null;
  return pto + BigInt(Math.max(0, Math.min(ticks, 1e30)));
}
