import { SwarmError, type SwarmErrorCode } from './SwarmError';

/**
 * Settles with the promise's outcome, or rejects with a SwarmError of `code` after `ms`.
 * The timer is always cleared; `onTimeout` runs once when the deadline wins (e.g. to cancel the work).
 */
export function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  code: SwarmErrorCode,
  onTimeout?: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        onTimeout?.();
      } finally {
        reject(new SwarmError(code, `no answer within ${ms} ms`, { ms }));
      }
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
