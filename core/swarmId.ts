import { MAX_KEY_LENGTH } from './segmentKey';
import { parseHttpUrl } from './parseHttpUrl';

/**
 * The swarm a segment belongs to: the site's origin plus the segment's directory (its stream and rendition),
 * query strings stripped. Viewers of the same rendition of the same stream on the same site meet there.
 */
export function swarmId(siteOrigin: string, segmentUrl: string): string | null {
  const u = parseHttpUrl(segmentUrl);
  if (!u) return null;
  const dir = u.pathname.slice(0, u.pathname.lastIndexOf('/') + 1);
  const id = `${siteOrigin}|${u.origin}${dir}`;
  return id.length <= MAX_KEY_LENGTH ? id : null;
}

/** Whether a segment key belongs to a swarm (keys are URL-based; see segmentKey). */
export function keyInSwarm(key: string, swarm: string): boolean {
  const bar = swarm.indexOf('|');
  if (bar < 0) return false;
  const prefix = swarm.slice(bar + 1);
  return key.startsWith(prefix) && !key.slice(prefix.length).includes('/');
}
