// Unit tests: pure modules, Node environment (Node 20 has Blob, URL, TextEncoder and WebCrypto).
// End-to-end tests have their own config (vitest.e2e.config.ts) and run inside a network namespace.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    // property tests run hundreds of cases; leave room on a loaded 2-core machine (no timing is asserted)
    testTimeout: 30_000,
  },
});
