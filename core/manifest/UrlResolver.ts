import { SwarmError } from '../SwarmError';
import { MANIFEST_LIMITS } from './types';

/**
 * Resolves references against base URLs for one manifest and counts the characters produced, so a template that
 * expands into many long URLs fails with 'size-exceeded' instead of filling memory.
 */
export class UrlResolver {
  private usedChars = 0;

  constructor(private readonly maxChars: number = MANIFEST_LIMITS.maxTotalUrlChars) {}

  /** Absolute URL of `ref` against `base`; SwarmError 'protocol-violation' when either is not a valid URL. */
  resolve(ref: string, base: string): string {
    let href: string;
    try {
      href = new URL(ref, base).href;
    } catch {
      throw new SwarmError('protocol-violation', 'invalid URL in manifest', { ref: ref.slice(0, 200) });
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
