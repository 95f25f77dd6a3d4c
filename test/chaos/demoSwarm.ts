/** The demo stream's swarms as a rogue peer announces them (core/swarmId.ts: `<site origin>|<segment dir URL>`). */
import type { RogueSwarm } from '../e2e/harness';

export const RENDITIONS = ['180p', '360p'] as const;
export const SEGMENTS = 30;

export function demoSwarms(demoUrl: string): RogueSwarm[] {
  return RENDITIONS.map((r) => ({
    swarm: `${demoUrl}|${demoUrl}/media/vod/${r}/`,
    keys: Array.from({ length: SEGMENTS }, (_, i) => `${demoUrl}/media/vod/${r}/seg_${String(i).padStart(3, '0')}.ts`),
  }));
}
