import type { DashContext } from './dashTypes';
import { formatDashTemplate } from './formatDashTemplate';
import type { XmlElement } from './parseXml';
import { parseDashRange } from './parseDashRange';
import type { ManifestSegment } from './types';

/**
 * The init segment an `<Initialization sourceURL range>` element names (sourceURL absent = the BaseURL itself),
 * or the one a SegmentTemplate@initialization template names. Null when neither is present.
 */
export function readDashInitialization(
  element: XmlElement | null,
  template: string | undefined,
  ctx: DashContext,
): ManifestSegment | null {
  const values = { RepresentationID: ctx.representationId, Bandwidth: ctx.bandwidth };
  if (template !== undefined && template.trim() !== '') {
    const url = ctx.resolver.resolve(formatDashTemplate(template.trim(), values), ctx.baseUrl);
    return { url, range: null, durationSec: 0, seq: -1, startSec: 0 };
  }
  if (element === null) return null;
  const source = element.attrs.get('sourceURL');
  const ref = source === undefined ? '' : formatDashTemplate(source.trim(), values);
  const url = ref === '' ? ctx.baseUrl : ctx.resolver.resolve(ref, ctx.baseUrl);
  return { url, range: parseDashRange(element.attrs.get('range')), durationSec: 0, seq: -1, startSec: 0 };
}
