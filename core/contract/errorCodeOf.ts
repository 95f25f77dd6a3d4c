import { SwarmError, isErrorCode, type SwarmErrorCode } from '../SwarmError';

/**
 * The SwarmError code of an error, also of one thrown on the other side of the port: Comlink passes a thrown
 * Error as its name, message and stack only, and a SwarmError's message starts with its code
 * (`protocol-violation: …`). Null when it carries none.
 */
export function errorCodeOf(err: unknown): SwarmErrorCode | null {
  if (SwarmError.is(err)) return err.code;
  const message = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  const code = typeof message === 'string' ? /^([a-z-]{1,40}): /.exec(message)?.[1] : undefined;
  return isErrorCode(code) ? code : null;
}
