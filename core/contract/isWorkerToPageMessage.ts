import { CONTRACT_VERSION } from './CONTRACT_VERSION';
import type { WorkerToPageMessage } from './messages';

/** Whether `data` is a well-formed worker → page message of this contract version. */
export function isWorkerToPageMessage(data: unknown): data is WorkerToPageMessage {
  if (typeof data !== 'object' || data === null) return false;
  const d = data as { type?: unknown; version?: unknown; pageVersion?: unknown };
  if (d.version !== CONTRACT_VERSION) return false;
  if (d.type === 'swarmfetch:need-port') return true;
  return d.type === 'swarmfetch:version-mismatch' && (d.pageVersion === null || typeof d.pageVersion === 'number');
}
