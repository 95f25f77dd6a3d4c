export interface TurnCredentials {
  username: string;
  credential: string;
}
export interface Coturn {
  readonly address: string;
  readonly port: number;
  readonly realm: string;
  readonly pid: number;
  readonly dir: string;
  readonly urls: string[];
  readonly stunUrl: string;
  log(): string;
  credentials(user: string, ttlSeconds?: number): TurnCredentials;
  iceServer(user: string, ttlSeconds?: number): { urls: string[]; username: string; credential: string };
  stop(): Promise<void>;
}
export interface StartCoturnOptions {
  address: string;
  /** @default 3478 */
  port?: number;
  secret: string;
  /** @default 'swarmfetch.lab' */
  realm?: string;
  minPort?: number;
  maxPort?: number;
  /** @default 10000 */
  timeoutMs?: number;
  verbose?: boolean;
}
export declare function coturnArgs(o: {
  address: string;
  port: number;
  secret: string;
  realm: string;
  dir: string;
  minPort: number;
  maxPort: number;
  verbose?: boolean;
}): string[];
export declare function turnCredentials(secret: string, user: string, ttlSeconds?: number): TurnCredentials;
export declare function stunPing(address: string, port: number, timeoutMs?: number): Promise<boolean>;
export declare function startCoturn(options: StartCoturnOptions): Promise<Coturn>;
