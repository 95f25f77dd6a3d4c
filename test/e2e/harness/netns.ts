/** Whether this process runs inside the network namespace made by test/e2e/netns.sh. */
import { networkInterfaces } from 'node:os';

/** Address of v0 inside the namespace: what WebRTC host candidates carry. */
export const NETNS_ADDRESS = '10.77.0.1';

export function inNetns(): boolean {
  const v0 = networkInterfaces().v0 ?? [];
  return process.env.SWARMFETCH_NETNS === '1' && v0.some((a) => a.family === 'IPv4' && a.address === NETNS_ADDRESS);
}

/** Throws a clear error unless inside the namespace. End-to-end tests never run outside it. */
export function assertInNetns(): void {
  if (!inNetns()) {
    throw new Error(
      'end-to-end tests must run inside the private network namespace: ' +
        'bash test/e2e/netns.sh npx vitest run -c vitest.e2e.config.ts (or npm run test:e2e)',
    );
  }
}
