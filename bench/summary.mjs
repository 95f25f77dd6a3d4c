// Turns raw scenario results into the figures the benchmark reports, and checks them against issue 3's targets.
import { mean, median, percentile, round, sum } from './util.mjs';

/** Issue 3's bar for each scenario's offload (ratio to the limit 1 − 1/N). */
const OFFLOAD_TARGET = { 'vod-staggered': 0.95, 'vod-together': 0.85, live: 0.85 };

function count(list, key) {
  const out = {};
  for (const x of list) {
    const k = key(x);
    if (k === null || k === undefined) continue;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

function viewerSummary(r) {
  const s = r.snapshot && !r.snapshot.failed ? r.snapshot : null;
  const out = {
    index: r.index,
    joinedAtS: round(r.joinedAtMs / 1000, 1),
    capped: r.capped || undefined,
    left: r.left ? round(r.leftAtMs / 1000, 1) : undefined,
    failed: r.openFailed ?? r.snapshot?.failed ?? (s ? undefined : 'no snapshot'),
    ttffMs: s ? round(s.firstFrameMs) : null,
    rebuffers: s ? s.rebuffers : null,
    stalledMs: s ? round(s.stalledMs) : null,
    seeking: s ? s.seekingEvents : null,
    positionS: s ? round(s.position, 1) : null,
    playedS: s && s.firstFrameMs !== null ? round(s.position - s.startPosition, 1) : null,
    // wall time since the first frame that did not turn into playback (stalls, slow start of playing)
    behindS: s && s.firstFrameMs !== null && !s.ended
      ? round((s.nowMs - s.firstFrameMs) / 1000 - (s.position - s.startPosition), 1) : null,
    ended: s?.ended || undefined,
    consumedBytes: s ? s.consumedBytes : 0,
    consumedSegments: s ? s.consumedCount : 0,
    originBytes: r.originBytes ?? null,
    latencyMs: s ? round(s.latencyMs) : null,
    hlsLatencyMs: s ? round(s.hlsLatencyMs) : null,
    playerErrors: s ? count(s.playerErrors, (e) => `${e.details}${e.fatal ? ' (fatal)' : ''}`) : {},
    pageErrors: r.pageErrors?.length ? r.pageErrors : undefined,
    mediaError: s?.mediaError ?? undefined,
    timing: s?.timing ? { ...s.timing, segmentLoadMs: undefined } : undefined,
    segmentLoadMs: s?.timing?.segmentLoadMs ?? [],
  };
  const sf = s?.swarmfetch;
  if (sf?.present) {
    const segs = sf.segments;
    const by = (src) => segs.filter((e) => e.source === src);
    out.swarmfetch = {
      active: sf.stats?.active ?? null,
      peerId: sf.stats?.peerId ?? null,
      peersAtEnd: sf.stats?.peers ?? null,
      httpBytes: sum(by('http').map((e) => e.bytes)),
      p2pBytes: sum(by('p2p').map((e) => e.bytes)),
      storeBytes: sum(by('store').map((e) => e.bytes)),
      segments: { http: by('http').length, p2p: by('p2p').length, store: by('store').length },
      uploadedBytes: sf.stats?.uploadedBytes ?? null,
      storeHeldBytes: sf.stats?.storeBytes ?? null,
      fallbacks: count(segs, (e) => e.fallback),
      deliveryErrors: count(segs, (e) => e.error),
      p2pMsMedian: round(median(by('p2p').map((e) => e.ms)), 1),
      httpMsMedian: round(median(by('http').map((e) => e.ms)), 1),
      peerEvents: count(sf.peers, (e) => `${e.state}${e.reason ? `: ${e.reason}` : ''}`),
      errors: count(sf.errors, (e) => e.code),
      uploadMaxBytesPerSec: sf.config ? (sf.config.uploadMaxBytesPerSec ?? 'not enforced (option unknown)') : undefined,
      // average upload rate over the page's life (bytes/s)
      uploadBytesPerSec: sf.stats && s.nowMs > 0 ? round(sf.stats.uploadedBytes / (s.nowMs / 1000)) : null,
      // segments the player consumed that swarmfetch never reported (e.g. before the worker controlled the page)
      unreported: Math.max(0, (s.consumedCount ?? 0) - segs.length),
    };
  }
  return out;
}

/** Figures of one scenario in one mode. */
export function summarizeMode(result) {
  const viewers = result.records.map(viewerSummary);
  const ok = result.records.filter((r) => r.snapshot && !r.snapshot.failed);
  const consumed = sum(ok.map((r) => r.snapshot.consumedBytes));
  // unique segment bytes: what the origin must serve at least once
  const sizes = new Map();
  for (const r of ok) for (const [path, [bytes, n]] of Object.entries(r.snapshot.consumedByPath)) sizes.set(path, bytes / n);
  const unique = sum([...sizes.values()]);
  const n = result.viewers;
  const origin = result.originBytes;
  const offload = consumed > 0 ? 1 - origin / consumed : null;
  const limit = 1 - 1 / n;
  const ttff = viewers.map((v) => v.ttffMs).filter((x) => x !== null);
  const all = viewers.filter((v) => !v.failed);
  const sf = viewers.map((v) => v.swarmfetch).filter(Boolean);
  const merge = (key) => {
    const out = {};
    for (const x of sf) for (const [k, c] of Object.entries(x[key])) out[k] = (out[k] ?? 0) + c;
    return out;
  };
  return {
    scenario: result.scenario,
    mode: result.mode,
    viewers: n,
    runS: round(result.runMs / 1000, 1),
    viewersFailed: viewers.filter((v) => v.failed).length,
    noFirstFrame: all.filter((v) => v.ttffMs === null).length,
    consumedBytes: consumed,
    originBytes: origin,
    /** Origin bytes no viewer asked for (page or worker): the hash oracle's own fetches, by User-Agent. */
    otherOriginBytes: sum(Object.values(result.otherAgents ?? {})),
    otherAgents: result.otherAgents ?? {},
    uniqueBytes: round(unique),
    offload: round(offload, 4),
    limit: round(limit, 4),
    ratio: offload === null ? null : round(offload / limit, 3),
    exactLimit: consumed > 0 ? round(1 - unique / consumed, 4) : null,
    ttffMs: { mean: round(mean(ttff)), p50: round(median(ttff)), max: ttff.length ? round(Math.max(...ttff)) : null },
    rebuffers: sum(all.map((v) => v.rebuffers ?? 0)),
    stalledMs: sum(all.map((v) => v.stalledMs ?? 0)),
    behindS: round(sum(all.map((v) => v.behindS ?? 0)), 1),
    // where the time to first frame goes (means over viewers, ms since navigation start)
    startPhasesMs: {
      swarmfetchJsLoaded: round(mean(all.map((v) => v.timing?.swarmfetchJs?.end))),
      hlsJsLoaded: round(mean(all.map((v) => v.timing?.hlsJs?.end))),
      domContentLoaded: round(mean(all.map((v) => v.timing?.domContentLoadedMs))),
      playlistRequested: round(mean(all.map((v) => v.timing?.playlist?.start))),
      firstSegmentRequested: round(mean(all.map((v) => v.timing?.firstSegment?.start))),
      firstSegmentLoaded: round(mean(all.map((v) => v.timing?.firstSegment?.end))),
      controlledBySw: round(mean(all.map((v) => v.timing?.controllerAtMs))),
      firstFragBuffered: round(mean(all.map((v) => v.timing?.firstFragBufferedMs))),
      canplay: round(mean(all.map((v) => v.timing?.canplayMs))),
      firstFrame: round(mean(all.map((v) => v.ttffMs))),
    },
    segmentLoadMs: {
      p50: round(median(all.flatMap((v) => v.segmentLoadMs)), 1),
      p95: round(percentile(all.flatMap((v) => v.segmentLoadMs), 95), 1),
      n: all.flatMap((v) => v.segmentLoadMs).length,
    },
    latencyMs: round(mean(all.map((v) => v.latencyMs))),
    hlsLatencyMs: round(mean(all.map((v) => v.hlsLatencyMs))),
    swarmfetch: sf.length === 0 ? null : {
      active: sf.filter((x) => x.active).length,
      httpBytes: sum(sf.map((x) => x.httpBytes)),
      p2pBytes: sum(sf.map((x) => x.p2pBytes)),
      storeBytes: sum(sf.map((x) => x.storeBytes)),
      uploadedBytes: sum(sf.map((x) => x.uploadedBytes ?? 0)),
      unreportedSegments: sum(sf.map((x) => x.unreported)),
      fallbacks: merge('fallbacks'),
      deliveryErrors: merge('deliveryErrors'),
      errors: merge('errors'),
      peerEvents: merge('peerEvents'),
      p2pMsP50: round(median(result.records.flatMap((r) => r.snapshot?.swarmfetch?.segments?.filter((e) => e.source === 'p2p').map((e) => e.ms) ?? [])), 1),
      p2pMsP95: round(percentile(result.records.flatMap((r) => r.snapshot?.swarmfetch?.segments?.filter((e) => e.source === 'p2p').map((e) => e.ms) ?? []), 95), 1),
    },
    events: result.events,
    conditions: result.conditions,
    perViewer: viewers,
  };
}

/** Baseline vs swarmfetch for one scenario, with issue 3's targets. */
export function compareModes(name, base, swarm) {
  const checks = [];
  const target = OFFLOAD_TARGET[name];
  if (target !== undefined && swarm.ratio !== null) {
    checks.push({ what: `offload ≥ ${target} × limit`, ok: swarm.ratio >= target, value: swarm.ratio });
  }
  checks.push({ what: 'rebuffers ≤ baseline', ok: swarm.rebuffers <= base.rebuffers, value: `${swarm.rebuffers} vs ${base.rebuffers}` });
  const dTtff = base.ttffMs.mean && swarm.ttffMs.mean ? swarm.ttffMs.mean / base.ttffMs.mean - 1 : null;
  if (dTtff !== null) checks.push({ what: 'time to first frame ≤ baseline + 10 %', ok: dTtff <= 0.1, value: `${dTtff >= 0 ? '+' : ''}${(dTtff * 100).toFixed(1)} %` });
  if (name === 'live' && base.latencyMs !== null && swarm.latencyMs !== null) {
    const d = swarm.latencyMs - base.latencyMs;
    checks.push({ what: 'live latency ≤ baseline + 1 s', ok: d <= 1000, value: `${d >= 0 ? '+' : ''}${(d / 1000).toFixed(2)} s` });
  }
  if (swarm.noFirstFrame > 0 || swarm.viewersFailed > 0) {
    checks.push({ what: 'every swarmfetch viewer played', ok: false, value: `${swarm.noFirstFrame} without a first frame, ${swarm.viewersFailed} failed` });
  }
  return { ttffDelta: dTtff === null ? null : round(dTtff, 4), checks };
}
