import type { DashContext, DashSegmentInfo, DashSegments } from './dashTypes';
import { readDashInitialization } from './readDashInitialization';

/**
 * A Representation addressed as one file (SegmentBase, or a bare BaseURL): the whole file as one segment with
 * range null (the sidx index range is not split), plus the init from Initialization when present.
 */
export function expandSegmentBase(info: DashSegmentInfo, ctx: DashContext): DashSegments {
  const init = info.kind === 'base' ? readDashInitialization(info.initialization, undefined, ctx) : null;
  return {
    init,
    segments: [{ url: ctx.baseUrl, range: null, durationSec: ctx.periodDurationSec ?? 0, seq: 1, startSec: 0 }],
  };
}
