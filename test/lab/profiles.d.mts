export interface Profile {
  readonly name: string;
  /** Mbit/s of Ethernet frames reaching the home; null = not shaped. */
  readonly downMbit: number | null;
  /** Mbit/s of Ethernet frames leaving the home; null = not shaped. */
  readonly upMbit: number | null;
}
export type ProfileName = 'lan' | 'cable' | 'dsl' | 'mobile' | 'slow';
export type ProfileSpec = ProfileName | 'mixed' | { name?: string; downMbit: number | null; upMbit: number | null };
export interface TbfParams {
  readonly rateBit: number;
  readonly burstBytes: number;
  readonly limitBytes: number;
  readonly burstMs: number;
  readonly maxQueueDelayMs: number;
}
export declare const FRAME_BYTES: number;
export declare const BURST_MS: number;
export declare const BURST_MIN_FRAMES: number;
export declare const QUEUE_MS: number;
export declare const QUEUE_MIN_FRAMES: number;
export declare const PROFILES: Readonly<Record<ProfileName, Profile>>;
export declare const MIXED: readonly ProfileName[];
export declare function mixedProfile(index: number): ProfileName;
export declare function resolveProfile(profile: ProfileSpec, index?: number): Profile;
export declare function tbfParams(rateMbit: number): TbfParams;
export declare function tbfArgs(dev: string, rateMbit: number): string[];
