import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { ProfileSpec, TbfParams } from './profiles.mjs';

export type NatKind = 'cone' | 'symmetric' | 'none';
export interface Loss {
  readonly down: number;
  readonly up: number;
}
export type LossSpec = number | { down?: number; up?: number };

export interface ViewerSpec {
  /** @default 'cone' */
  nat?: NatKind;
  /** @default 'lan' */
  profile?: ProfileSpec;
  /** Random loss in percent (both directions, or per direction); NAT viewers only. @default 0 */
  lossPercent?: LossSpec;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  allowFail?: boolean;
  env?: Record<string, string>;
}
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface LabViewer {
  readonly index: number;
  readonly nat: NatKind;
  /** The profile's name (after 'mixed' was resolved). */
  profile: string;
  rates: { downMbit: number | null; upMbit: number | null };
  shaping: { down: TbfParams | null; up: TbfParams | null };
  loss: Loss;
  readonly homeNs: string;
  /** null for nat: 'none'. */
  readonly natNs: string | null;
  /** 192.168.1.2 behind a NAT; the WAN address for nat: 'none'. */
  readonly lanAddress: string;
  /** The address servers see: 203.0.113.(10 + index). */
  readonly wanAddress: string;
  /** An executable running Chromium (CHROMIUM_PATH) in the home namespace with the arguments it is given. */
  readonly chromiumPath: string;
  /** Runs a command in the home namespace (default timeout 30 s); rejects on a non-zero exit unless allowFail. */
  exec(cmd: string, args?: string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a command in the home namespace; stop it yourself. */
  spawn(cmd: string, args?: string[], options?: SpawnOptions): ChildProcess;
  setProfile(profile: ProfileSpec): Promise<void>;
  setLoss(loss: LossSpec): Promise<void>;
}

export interface Lab {
  readonly id: string;
  readonly publicAddress: string;
  readonly bridge: string;
  /** Temp directory of the wrapper scripts. */
  readonly dir: string;
  readonly viewers: LabViewer[];
  destroy(): Promise<void>;
  destroySync(): void;
}

export declare const LAN_ADDRESS: string;
export declare const LAN_ROUTER: string;
export declare const DEFAULT_PUBLIC_ADDRESS: string;
export declare const WAN_BASE: number;
export declare function run(cmd: string, args: string[], options?: RunOptions): Promise<RunResult>;
export declare function inPublicNamespace(): boolean;
export declare function sweepStaleLabs(): string[];
export declare function createLab(options: { viewers: ViewerSpec[]; publicAddress?: string; chromiumPath?: string }): Promise<Lab>;
export declare function leftovers(lab: Lab): { namespaces: string[]; links: string[]; dir: boolean };
