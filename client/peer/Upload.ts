import { SwarmError } from '../../core/SwarmError';
import type { DataChannelLike } from './ConnectionLike';

/**
 * One request a peer made of this page, being served. A cancel ends whatever the upload waits for at that moment
 * (the segment, the channel, the upload cap), so the serving coroutine returns at once and its copy of the segment
 * is freed with it; until then the upload still holds its place among the peer's requests in flight.
 */
export interface Upload {
  cancelled: boolean;
  /** Cancelled by this page (it stopped serving), not by the peer: the peer is told `absent`. */
  dropped?: boolean;
  /** Ends the wait the upload is in, when it is cancelled. */
  wake: (() => void) | null;
}

/** What a wait of an upload resolves with when the upload was cancelled meanwhile. */
export const CANCELLED: unique symbol = Symbol('cancelled');

export function newUpload(): Upload {
  return { cancelled: false, wake: null };
}

export function cancelUpload(up: Upload): void {
  if (up.cancelled) return;
  up.cancelled = true;
  up.wake?.();
}

/** `work`, or CANCELLED as soon as the upload is cancelled (what `work` yields later is dropped). */
export function whileWanted<T>(up: Upload, work: T | Promise<T>): Promise<T | typeof CANCELLED> {
  if (up.cancelled) return Promise.resolve(CANCELLED);
  return new Promise<T | typeof CANCELLED>((resolve, reject) => {
    const wake = () => resolve(CANCELLED);
    up.wake = wake;
    Promise.resolve(work)
      .then(resolve, reject)
      .finally(() => {
        if (up.wake === wake) up.wake = null;
      });
  });
}

/**
 * Resolves true when the channel buffers at most `highWater` bytes, false at once when the upload is cancelled
 * meanwhile; rejects (peer-stall) when it does not drain within `timeoutMs` or closes.
 */
export function drainOrCancel(
  up: Upload, dc: DataChannelLike | undefined, highWater: number, timeoutMs: number, peer: string,
): Promise<boolean> {
  if (up.cancelled) return Promise.resolve(false);
  if (!dc || dc.bufferedAmount <= highWater) return Promise.resolve(true);
  dc.bufferedAmountLowThreshold = Math.floor(highWater / 4);
  return new Promise((resolve, reject) => {
    const done = (outcome: 'room' | 'cancelled' | 'stuck') => {
      clearTimeout(timer);
      dc.removeEventListener('bufferedamountlow', onLow);
      dc.removeEventListener('close', onClose);
      if (up.wake === onCancel) up.wake = null;
      if (outcome === 'stuck') reject(new SwarmError('peer-stall', 'send buffer did not drain', { peer }));
      else resolve(outcome === 'room');
    };
    const onLow = () => done('room');
    const onClose = () => done('stuck');
    const onCancel = () => done('cancelled');
    const timer = setTimeout(() => done('stuck'), timeoutMs);
    dc.addEventListener('bufferedamountlow', onLow);
    dc.addEventListener('close', onClose);
    up.wake = onCancel;
  });
}
