import { MAX_PEER_ID_LENGTH } from './Tracker';
import { MAX_TOKEN_LENGTH } from './parseTrackerRequest';

/** Largest byte count one beacon may report for each kind (2^31: about 2 GiB in its 5 s or more). */
export const MAX_BEACON_DELTA_BYTES = 2 ** 31;

/** The byte counts of a beacon, each the bytes moved since that viewer's previous beacon. */
export const BEACON_BYTE_FIELDS = ['httpBytes', 'p2pBytes', 'uploadedBytes'] as const;

/** A validated `/beacon` body. */
export interface Beacon {
  peerId: string;
  token: string;
  httpBytes: number;
  p2pBytes: number;
  uploadedBytes: number;
}

/** What is wrong with a beacon body: the field named, or `body` when it is not a JSON object. */
export type BeaconFault = { field: 'body' | 'peerId' | 'token' | (typeof BEACON_BYTE_FIELDS)[number] };

function isText(value: unknown, maxLength: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength;
}

/**
 * Validates `{ peerId, token, httpBytes, p2pBytes, uploadedBytes }`: the three counts are required, each an integer
 * in [0, MAX_BEACON_DELTA_BYTES]; other fields are ignored. The first fault found, else the beacon.
 */
export function parseBeacon(body: unknown): Beacon | BeaconFault {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { field: 'body' };
  const given = body as Record<string, unknown>;
  if (!isText(given.peerId, MAX_PEER_ID_LENGTH)) return { field: 'peerId' };
  if (!isText(given.token, MAX_TOKEN_LENGTH)) return { field: 'token' };
  const beacon: Beacon = { peerId: given.peerId, token: given.token, httpBytes: 0, p2pBytes: 0, uploadedBytes: 0 };
  for (const field of BEACON_BYTE_FIELDS) {
    const value = given[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_BEACON_DELTA_BYTES) return { field };
    beacon[field] = value;
  }
  return beacon;
}
