/**
 * The contract between the service worker and the page agent, version CONTRACT_VERSION — what both sides must
 * agree on, and nothing else.
 *
 * Handshake: the page creates a MessageChannel, exposes its AgentApi on one port with Comlink and posts the other
 * port to the service worker in a PortMessage. The service worker keeps one Comlink proxy per client id and calls
 * `hello(CONTRACT_VERSION)` on it; when it has none for a client (first request, or after the browser restarted
 * it) it posts NeedPortMessage to that client and waits at most `portWaitMs`. Every call the worker makes has a
 * deadline; on expiry it uses the network. While the page says its agent would answer `no-peer` anyway
 * (DirectMessage), the worker goes to the network without waiting for that answer.
 *
 * Versions: a message or a `hello` of another version means the other side speaks another contract. The worker
 * then sends all of that page's requests to the network and tells it (VersionMismatchMessage); the page makes it
 * one `error` event (`contract-mismatch`) and stops talking to that worker.
 *
 * Also here, because the worker and the page must compute them identically: the worker's options in its
 * registration URL, segment keys (URL + byte range), swarm ids (site + URL directory) and pieces.
 */
export { CONTRACT_VERSION } from './CONTRACT_VERSION';
export type {
  PortMessage,
  TransferredPort,
  ClaimMessage,
  SeedMessage,
  DirectMessage,
  PageToWorkerMessage,
  NeedPortMessage,
  VersionMismatchMessage,
  WorkerToPageMessage,
} from './messages';
export type {
  AgentApi,
  SegmentSource,
  SegmentQuery,
  SegmentAnswer,
  ManifestNotice,
  ManifestText,
  SegmentPut,
  SegmentReport,
  WorkerError,
} from './AgentApi';
export { contractVersionOf } from './contractVersionOf';
export { isPageToWorkerMessage } from './isPageToWorkerMessage';
export { isWorkerToPageMessage } from './isWorkerToPageMessage';
export { errorCodeOf } from './errorCodeOf';

// the worker's options, in its registration URL
export type { SwConfig } from './SwConfig';
export { DEFAULT_SEGMENT_PATTERN } from './DEFAULT_SEGMENT_PATTERN';
export { SW_DEFAULTS } from './SW_DEFAULTS';
export { SW_CONFIG_KEYS } from './SW_CONFIG_KEYS';
export { SW_NUMBER_BOUNDS } from './SW_NUMBER_BOUNDS';
export { swConfigToParams } from './swConfigToParams';
export { swConfigFromParams } from './swConfigFromParams';

// keys, swarms, pieces
export { MAX_KEY_LENGTH } from './MAX_KEY_LENGTH';
export { segmentKey } from './segmentKey';
export { parseKeyRange } from './parseKeyRange';
export { urlDirectory } from './urlDirectory';
export { swarmId } from './swarmId';
export { keyInSwarm } from './keyInSwarm';
export { PIECE_BYTES } from './PIECE_BYTES';
export { pieceIndex } from './pieceIndex';
export { pieceRange } from './pieceRange';
