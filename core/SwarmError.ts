/**
 * The one error class of swarmfetch. Its `code` is drawn from a closed set so callers
 * (and tests) branch on the code, never on the message; `details` carries the data.
 */
export const ERROR_CODES = [
  'config-invalid',
  'unsupported',
  'server-unreachable',
  'agent-unavailable',
  'agent-timeout',
  'peer-timeout',
  'peer-stall',
  'peer-closed',
  'peer-absent',
  'protocol-violation',
  'size-exceeded',
  'rate-exceeded',
  'too-many-requests',
  'network-error',
  'integrity-mismatch',
  'integrity-unavailable',
  'integrity-manifest-invalid',
  'contract-mismatch',
] as const;

export type SwarmErrorCode = (typeof ERROR_CODES)[number];

export type SwarmErrorDetails = Record<string, string | number | boolean | null | undefined>;

export class SwarmError extends Error {
  override readonly name = 'SwarmError';
  constructor(
    readonly code: SwarmErrorCode,
    message: string,
    readonly details: SwarmErrorDetails = {},
  ) {
    super(`${code}: ${message}`);
  }

  /** Plain data form, safe to post across a MessagePort. */
  toJSON(): { code: SwarmErrorCode; message: string; details: SwarmErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }

  static is(value: unknown, code?: SwarmErrorCode): value is SwarmError {
    return value instanceof SwarmError && (code === undefined || value.code === code);
  }
}

export function isErrorCode(value: unknown): value is SwarmErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
