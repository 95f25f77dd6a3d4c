import { SwarmError } from '../SwarmError';
import { parseBigInteger, parseDecimal, parseSafeInteger } from './parseDecimal';

function bad(name: string, value: string): SwarmError {
  return new SwarmError('protocol-violation', `DASH: bad @${name}`, { value: value.slice(0, 40) });
}

/** A non-negative safe integer attribute; `fallback` when absent; SwarmError 'protocol-violation' when malformed. */
export function readIntAttr(attrs: ReadonlyMap<string, string>, name: string, fallback: number): number;
export function readIntAttr(attrs: ReadonlyMap<string, string>, name: string, fallback: null): number | null;
export function readIntAttr(attrs: ReadonlyMap<string, string>, name: string, fallback: number | null): number | null {
  const raw = attrs.get(name);
  if (raw === undefined) return fallback;
  const value = parseSafeInteger(raw);
  if (value === null) throw bad(name, raw);
  return value;
}

/** A non-negative integer attribute of any size (media times); `fallback` when absent. */
export function readBigIntAttr(
  attrs: ReadonlyMap<string, string>,
  name: string,
  fallback: bigint | null,
): bigint | null {
  const raw = attrs.get(name);
  if (raw === undefined) return fallback;
  const value = parseBigInteger(raw);
  if (value === null) throw bad(name, raw);
  return value;
}

/** A strictly positive decimal attribute (@timescale, @duration); null when absent. */
export function readPositiveAttr(attrs: ReadonlyMap<string, string>, name: string): number | null {
  const raw = attrs.get(name);
  if (raw === undefined) return null;
  const value = parseDecimal(raw);
  if (value === null || value <= 0) throw bad(name, raw);
  return value;
}
