/**
 * Version of the page↔worker contract (messages and AgentApi). Bumped whenever either changes: a page and a worker
 * of different versions do not talk (the worker sends all of that page's requests to the network, and the page
 * hears it once, as an `error` event with code `contract-mismatch`).
 *
 * 2: the worker calls `hello` on every port it gets; `workerError`; `swarmfetch:version-mismatch`.
 * 3: `swarmfetch:direct`, and a query's `direct` (the worker fetched without waiting for the answer).
 */
export const CONTRACT_VERSION = 3;
