// The end-to-end harness: what a test imports.
export { CHROMIUM_ARGS, CHROMIUM_PATH, DISABLED_FEATURES, launchBrowser, newViewer } from './browser';
export type { InitScript, LaunchBrowserOptions, Viewer, ViewerOptions } from './browser';
export { NETNS_ADDRESS, assertInNetns, inNetns } from './netns';
export {
  SEGMENT_PATH,
  assertByteExact,
  byteExactMismatches,
  originHashes,
  readSegmentHashes,
  segmentHashesInitScript,
} from './segmentHashes';
export type { Mismatch, SegmentHash } from './segmentHashes';
export { REPO_ROOT, freePort, startDemo, startStaticServer } from './servers';
export type { DemoServer, RunningServer, StartDemoOptions, StaticServer, StaticServerOptions } from './servers';
export { videoState, waitForPlayback } from './video';
export type { VideoState } from './video';
export { startP2pServer } from './p2pServer';
export { startRoguePeer } from './roguePeer';
export type { RogueMode, RoguePeer, RoguePeerOptions, RogueStats, RogueSwarm } from './roguePeer';
export type { P2pServer } from './p2pServer';
