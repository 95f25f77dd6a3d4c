import { CONTRACT_VERSION } from './CONTRACT_VERSION';
import type { PageToWorkerMessage } from './messages';

/** Longest URL a page may ask the worker to seed. */
const MAX_SEED_URL = 4096;

/** Whether `data` is a well-formed page → worker message of this contract version. */
export function isPageToWorkerMessage(data: unknown): data is PageToWorkerMessage {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as { type?: unknown; version?: unknown; port?: unknown; url?: unknown; on?: unknown };
  if (d.version !== CONTRACT_VERSION) return false;
  if (d.type === 'swarmfetch:claim') return true;
  if (d.type === 'swarmfetch:direct') return typeof d.on === 'boolean';
  if (d.type === 'swarmfetch:seed') return typeof d.url === 'string' && d.url.length <= MAX_SEED_URL;
  return d.type === 'swarmfetch:port' && typeof MessagePort !== 'undefined' && d.port instanceof MessagePort;
}
