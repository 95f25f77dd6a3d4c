// vitest.e2e.config.ts globalSetup: refuse to start end-to-end tests outside the network namespace.
import { assertInNetns } from './netns';

export default function setup(): void {
  assertInNetns();
}
