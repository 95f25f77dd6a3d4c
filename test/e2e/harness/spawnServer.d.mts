export declare function spawnServer(o: {
  args: string[];
  url: string;
  cwd: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  label: string;
}): Promise<{ pid: number; output(): string; stop(): Promise<void>; kill(signal: NodeJS.Signals): Promise<void> }>;
