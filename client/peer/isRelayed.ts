/** One entry of an RTCStatsReport, as far as route detection reads it. */
interface StatLike {
  type?: string;
  state?: string;
  selected?: boolean;
  nominated?: boolean;
  selectedCandidatePairId?: string;
  localCandidateId?: string;
  remoteCandidateId?: string;
  candidateType?: string;
  bytesSent?: number;
}

/** The part of an RTCPeerConnection route detection needs. */
export interface StatsSource {
  getStats(): Promise<{ forEach(fn: (s: StatLike) => void): void; get(id: string): StatLike | undefined }>;
}

/**
 * Whether a connection's selected candidate pair goes through a TURN relay (either side's candidate is `relay`):
 * the transport's selected pair (Chromium), else a selected or nominated pair that succeeded (Firefox).
 * False when it cannot tell.
 */
export async function isRelayed(pc: StatsSource | undefined): Promise<boolean> {
  if (!pc) return false;
  const report = await pc.getStats();
  let pair: StatLike | undefined;
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pair ??= report.get(s.selectedCandidatePairId);
  });
  report.forEach((s) => {
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && (s.selected || s.nominated)) pair ??= s;
  });
  return !!pair && [pair.localCandidateId, pair.remoteCandidateId].some((id) => id !== undefined && report.get(id)?.candidateType === 'relay');
}
