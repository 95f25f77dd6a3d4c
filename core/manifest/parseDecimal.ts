const DECIMAL = /^\d{1,20}(?:\.\d{0,20})?$/;
const INTEGER = /^\d{1,30}$/;

/** A non-negative decimal number ("2", "2.000000", "2."), or null. No sign, no exponent. */
export function parseDecimal(text: string | undefined): number | null {
  if (text === undefined) return null;
  const s = text.trim();
  if (!DECIMAL.test(s)) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}

/** A non-negative integer that is exactly representable (safe), or null. */
export function parseSafeInteger(text: string | undefined): number | null {
  if (text === undefined) return null;
  const s = text.trim();
  if (!INTEGER.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}

/** A non-negative integer of any size as a bigint (at most 30 digits), or null. */
export function parseBigInteger(text: string | undefined): bigint | null {
  if (text === undefined) return null;
  const s = text.trim();
  return INTEGER.test(s) ? BigInt(s) : null;
}
