import { SwarmError } from '../../../core/SwarmError';

/** The SwarmError code `fn` throws; undefined when it does not throw; a marked string for any other error. */
export function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return SwarmError.is(e) ? e.code : `not a SwarmError: ${String(e)}`;
  }
  return undefined;
}
