// Types of peerjsTrim.mjs, for the unit test that runs it (test/unit/peerjsTrim.test.ts).
import type { Plugin } from 'esbuild';

/** PeerJS's published bundle (`peerjs/dist/bundler.mjs`) with swarmfetch's trims; throws when one does not apply. */
export declare function trimPeerjs(source: string): string;
/** The esbuild plugin applying `trimPeerjs` to PeerJS's bundle. */
export declare const peerjsTrim: Plugin;
