import { parseIsoDuration } from './parseIsoDuration';
import type { XmlElement } from './parseXml';

/**
 * Start and duration (seconds) of periods[index]: @start, else the previous start + @duration (the first period
 * starts at 0); @duration, else the next period's start − this start, else (last period) the presentation
 * duration − this start. Null when unknown.
 */
export function dashPeriodTiming(
  periods: readonly XmlElement[],
  index: number,
  presentationDurationSec: number | null,
): { startSec: number | null; durationSec: number | null } {
  const startOf = (k: number, prevStart: number | null): number | null => {
    const explicit = parseIsoDuration(periods[k]?.attrs.get('start'));
    if (explicit !== null) return explicit;
    if (k === 0) return 0;
    const prevDuration = parseIsoDuration(periods[k - 1]?.attrs.get('duration'));
    return prevStart !== null && prevDuration !== null ? prevStart + prevDuration : null;
  };
  let start: number | null = null;
  for (let k = 0; k <= index; k++) start = startOf(k, start);
  let duration = parseIsoDuration(periods[index]?.attrs.get('duration'));
  if (duration === null && start !== null) {
    const nextStart = index + 1 < periods.length ? startOf(index + 1, start) : null;
    if (nextStart !== null) duration = nextStart - start;
    else if (index === periods.length - 1 && presentationDurationSec !== null) {
      duration = presentationDurationSec - start;
    }
  }
  return { startSec: start, durationSec: duration !== null && duration > 0 ? duration : null };
}
