/** Absolute path of the probe script: `viewer.exec('node', [UDP_PROBE, JSON.stringify(plan)])`. */
export declare const UDP_PROBE: string;
export interface UdpProbePlan {
  port?: number;
  send?: { address: string; port: number }[];
  connect?: { address: string; port: number };
  count?: number;
  everyMs?: number;
  listenMs?: number;
}
export interface UdpProbeResult {
  localPort: number;
  received: { from: string; data: string }[];
  errors: string[];
}
