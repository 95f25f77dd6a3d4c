import { parseHttpUrl } from '../parseHttpUrl';
import { MAX_KEY_LENGTH } from './MAX_KEY_LENGTH';
import { urlDirectory } from './urlDirectory';

/**
 * The swarm a segment belongs to: the site's origin plus the segment's directory (its stream and rendition),
 * query strings stripped. Viewers of the same rendition of the same stream on the same site meet there.
 */
export function swarmId(siteOrigin: string, segmentUrl: string): string | null {
  const u = parseHttpUrl(segmentUrl);
  if (!u) return null;
  const id = `${siteOrigin}|${u.origin}${urlDirectory(u.pathname)}`;
  return id.length <= MAX_KEY_LENGTH ? id : null;
}
