import { SwarmError } from '../SwarmError';
import { parseBigInteger } from './parseDecimal';
import type { XmlElement } from './parseXml';
import { xmlChildren } from './xmlChildren';

/** `count` segments of duration `d` starting at media time `t` (timescale units). */
export interface TimelineRun {
  t: bigint;
  d: bigint;
  count: number;
}

export interface TimelineEnd {
  /** Media time where an open-ended `r="-1"` run stops (period end / now); null = unknown (one segment). */
  endTime: bigint | null;
  /** Count a segment that straddles endTime (static: the period's last segment) or not (live: not yet available). */
  roundUp: boolean;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const REPEAT = /^-?\d{1,30}$/;

function bad(message: string): SwarmError {
  return new SwarmError('protocol-violation', `DASH: ${message}`);
}

function toCount(n: bigint): number {
  if (n <= 0n) return 0;
  return n > MAX_SAFE ? Number.MAX_SAFE_INTEGER : Number(n);
}

/**
 * Reads `<SegmentTimeline><S t d r/>…` into runs without expanding them, so `r="1000000000"` costs one object.
 * `r` < 0 repeats until the next S@t, else until `end.endTime`.
 */
export function readSegmentTimeline(timeline: XmlElement, end: TimelineEnd): TimelineRun[] {
  const items = xmlChildren(timeline, 'S');
  const runs: TimelineRun[] = [];
  let next = 0n;
  for (let k = 0; k < items.length; k++) {
    const s = items[k]!;
    const rawT = s.attrs.get('t');
    const t = rawT === undefined ? next : parseBigInteger(rawT);
    const d = parseBigInteger(s.attrs.get('d'));
    if (t === null) throw bad('bad S@t');
    if (d === null || d <= 0n) throw bad('bad S@d');
    const rawR = (s.attrs.get('r') ?? '0').trim();
    if (!REPEAT.test(rawR)) throw bad('bad S@r');
    let count: number;
    if (rawR.startsWith('-')) {
      const nextT = parseBigInteger(items[k + 1]?.attrs.get('t'));
      const until = nextT ?? end.endTime;
      if (until === null) count = 1;
      else count = toCount(nextT !== null || end.roundUp ? (until - t + d - 1n) / d : (until - t) / d);
    } else {
      count = toCount(BigInt(rawR) + 1n);
    }
    runs.push({ t, d, count });
    next = t + d * BigInt(count);
  }
  return runs;
}

/** Number of segments in the runs (saturating at Number.MAX_SAFE_INTEGER). */
export function countTimeline(runs: readonly TimelineRun[]): number {
  let total = 0;
  for (const run of runs) total = Math.min(Number.MAX_SAFE_INTEGER, total + run.count);
  return total;
}

/** Calls `visit` for the segments with index in [from, to), in order, skipping whole runs arithmetically. */
export function walkTimeline(
  runs: readonly TimelineRun[],
  from: number,
  to: number,
  visit: (index: number, t: bigint, d: bigint) => void,
): void {
  let index = 0;
  for (const run of runs) {
    if (index >= to) break;
    const runEnd = Math.min(Number.MAX_SAFE_INTEGER, index + run.count);
    if (runEnd > from) {
      const first = Math.max(0, from - index);
      const last = Math.min(run.count, to - index);
      for (let j = first; j < last; j++) visit(index + j, run.t + run.d * BigInt(j), run.d);
    }
    index = runEnd;
  }
}
