import { SwarmError } from '../SwarmError';
import { MANIFEST_LIMITS } from './types';
import { parseHttpUrl } from '../parseHttpUrl';
import { urlDirectory } from '../contract';

/** A relative reference that resolves to "directory of the base" + itself: plain path segments, optional query. */
const PLAIN_REF = /^[A-Za-z0-9_~-][A-Za-z0-9._~/-]*(?:\?[A-Za-z0-9._~/&=-]*)?$/;

function isPlain(ref: string): boolean {
  return ref.length <= 2048 && PLAIN_REF.test(ref) && !ref.includes('/.') && !ref.includes('//');
}

/** "https://h/a/b/" for "https://h/a/b/c.mpd?x#y"; null unless the base is an http(s) URL. */
function directoryOf(base: string): string | null {
  const u = parseHttpUrl(base);
  return u ? urlDirectory(u.href) : null;
}

/**
 * Resolves references against base URLs for one manifest and counts the characters produced, so a template that
 * expands into many long URLs fails with 'size-exceeded' instead of filling memory. Plain relative references
 * (the common case: thousands of `seg-00042.m4s` against one base) skip the URL parser.
 */
export class UrlResolver {
  private usedChars = 0;
  private lastBase: string | null = null;
  private lastDirectory: string | null = null;

  constructor(private readonly maxChars: number = MANIFEST_LIMITS.maxTotalUrlChars) {}

  /** Absolute URL of `ref` against `base`; SwarmError 'protocol-violation' when either is not a valid URL. */
  resolve(ref: string, base: string): string {
    let href: string | null = null;
    if (isPlain(ref)) {
      if (base !== this.lastBase) {
        this.lastBase = base;
        this.lastDirectory = directoryOf(base);
      }
      if (this.lastDirectory !== null) href = this.lastDirectory + ref;
    }
    if (href === null) {
      try {
        href = new URL(ref, base).href;
      } catch {
        throw new SwarmError('protocol-violation', 'invalid URL in manifest', { ref: ref.slice(0, 200) });
      }
    }
    this.usedChars += href.length;
    if (this.usedChars > this.maxChars) {
      throw new SwarmError('size-exceeded', 'manifest expands into too many URL characters', {
        maxChars: this.maxChars,
      });
    }
    return href;
  }
}
