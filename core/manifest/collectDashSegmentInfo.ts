import type { DashSegmentInfo } from './dashTypes';
import type { XmlElement } from './parseXml';
import { xmlChild, xmlChildren } from './xmlChildren';

const KINDS = [
  ['SegmentTemplate', 'template'],
  ['SegmentList', 'list'],
  ['SegmentBase', 'base'],
] as const;

/**
 * The segment addressing of a Representation given its levels, outermost first ([Period, AdaptationSet,
 * Representation]): the kind is that of the most specific level that has one; attributes and the
 * SegmentTimeline / Initialization / SegmentURL children of that kind are inherited, inner levels overriding.
 */
export function collectDashSegmentInfo(levels: readonly XmlElement[]): DashSegmentInfo {
  for (let l = levels.length - 1; l >= 0; l--) {
    for (const [name, kind] of KINDS) {
      if (xmlChild(levels[l]!, name) === null) continue;
      const attrs = new Map<string, string>();
      let timeline: XmlElement | null = null;
      let initialization: XmlElement | null = null;
      let segmentUrls: XmlElement[] = [];
      for (let k = 0; k <= l; k++) {
        const element = xmlChild(levels[k]!, name);
        if (element === null) continue;
        for (const [key, value] of element.attrs) attrs.set(key, value);
        timeline = xmlChild(element, 'SegmentTimeline') ?? timeline;
        initialization = xmlChild(element, 'Initialization') ?? initialization;
        const urls = xmlChildren(element, 'SegmentURL');
        if (urls.length > 0) segmentUrls = urls;
      }
      return { kind, attrs, timeline, initialization, segmentUrls };
    }
  }
  return { kind: 'none', attrs: new Map(), timeline: null, initialization: null, segmentUrls: [] };
}
