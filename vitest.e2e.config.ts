// End-to-end tests: real Chromium through playwright-core, one test file at a time.
// Run through test/e2e/netns.sh (WebRTC needs an interface with a default route; see shared/TESTING.md):
//   bash test/e2e/netns.sh npx vitest run -c vitest.e2e.config.ts
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    // Fails at once, with the command to use, when not inside test/e2e/netns.sh's namespace.
    globalSetup: ['test/e2e/harness/globalSetup.ts'],
    // Each file starts browsers and servers: one file at a time keeps 2-core machines predictable.
    fileParallelism: false,
    // Child processes (Chromium, servers) are easier to clean up from a forked worker than from a thread.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
