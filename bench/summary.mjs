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

/**
 * ABR figures of one viewer (probe.mjs `abr`), from hls.js's events:
 * - mean played bitrate: media seconds played at each level (timeupdate deltas, by hls.currentLevel = the level of the
 *   fragment at the playhead) weighted by that level's AVERAGE-BANDWIDTH (hls.js `averageBitrate`); also from the
 *   played fragments' own bytes (Σ bytes × 8 ÷ Σ duration over FRAG_CHANGED fragments);
 * - switches up / down: changes of level between consecutive played fragments (FRAG_CHANGED); loader switches:
 *   LEVEL_SWITCHED events after the first;
 * - bandwidth estimate: hls.bandwidthEstimate sampled every second (median, max);
 * - played bytes: bytes of the fragments that reached the playhead (FRAG_CHANGED), each once;
 * - per fragment load: its source as swarmfetch reported it (segment event of the same path, else 'http' when the
 *   page has no swarmfetch), so up-switches that follow a fast non-HTTP load and stalls on a fragment over HTTP show.
 */
function abrSummary(s) {
  const a = s?.abr;
  if (!a || !a.levels || a.levels.length === 0) return null;
  const rate = (i) => a.levels[i]?.averageBitrate ?? a.levels[i]?.bitrate ?? null;
  let secs = 0;
  let bits = 0;
  const playedSByLevel = {};
  for (const [k, v] of Object.entries(a.playedByLevel ?? {})) {
    const i = Number(k);
    playedSByLevel[k] = round(v, 1);
    if (i < 0 || rate(i) === null) continue;
    secs += v;
    bits += v * rate(i);
  }
  const played = [];
  const seen = new Set();
  for (const f of a.fragPlayed ?? []) {
    const key = `${f.level}/${f.sn}`;
    if (seen.has(key)) continue;
    seen.add(key);
    played.push(f);
  }
  let up = 0;
  let down = 0;
  for (let i = 1; i < played.length; i++) {
    if (played[i].level > played[i - 1].level) up++;
    else if (played[i].level < played[i - 1].level) down++;
  }
  const fragBytes = sum(played.map((f) => f.bytes ?? 0));
  const fragSecs = sum(played.filter((f) => f.bytes).map((f) => f.duration));
  // no worker controlling the page (baseline: service workers blocked): every load went to the network
  const segs = s.swarmfetch?.present && s.swarmfetch.stats?.active !== false ? s.swarmfetch.segments : null;
  const eventOf = (fl) => {
    let best = null;
    for (const e of segs ?? []) if (e.path === fl.path && e.atMs <= fl.atMs + 100) best = e;
    return best;
  };
  const loads = (a.fragLoads ?? []).map((fl) => {
    const e = eventOf(fl);
    return { ...fl, source: !segs ? 'http' : e ? e.source : 'unreported', fallback: e?.fallback ?? null };
  });
  // up-switches of the loader, with the source and speed of the fragment load right before
  const upSwitches = [];
  const ls = a.levelSwitched ?? [];
  for (let i = 1; i < ls.length; i++) {
    if (ls[i].level <= ls[i - 1].level) continue;
    const before = loads.filter((x) => x.atMs <= ls[i].atMs + 5).slice(-1)[0];
    upSwitches.push({ atMs: ls[i].atMs, from: ls[i - 1].level, to: ls[i].level, afterSource: before?.source ?? null,
      afterLoadMs: before?.loadMs ?? null, afterKbps: before && before.loadMs ? round((before.bytes * 8) / before.loadMs) : null, bwEstimate: before?.bwEstimate ?? null });
  }
  // each stall: the fragment the playhead waited for — the first that reached the playhead (FRAG_CHANGED) after the
  // stall began; else the first played fragment that starts at or after the stall position
  const stalls = (s.stalls ?? []).map((st) => {
    const f = (a.fragPlayed ?? []).find((x) => x.atMs >= st.atMs - 20)
      ?? (a.fragPlayed ?? []).find((x) => x.start + 0.1 >= st.position);
    const load = f ? loads.filter((x) => x.sn === f.sn && x.level === f.level).slice(-1)[0] : null;
    return { atMs: st.atMs, ms: st.ms, position: round(st.position, 1), level: f?.level ?? null, sn: f?.sn ?? null,
      source: load?.source ?? null, fallback: load?.fallback ?? null, loadMs: load?.loadMs ?? null, bytes: load?.bytes ?? null };
  });
  const est = (a.bwEstimates ?? []).filter((x) => x > 0);
  return {
    levels: a.levels.map((l) => ({ height: l.height, kbps: round((l.averageBitrate ?? l.bitrate) / 1000) })),
    meanPlayedKbps: secs > 0 ? round(bits / secs / 1000) : null,
    meanPlayedFragKbps: fragSecs > 0 ? round((fragBytes * 8) / fragSecs / 1000) : null,
    playedS: round(secs, 1),
    playedSByLevel,
    playedSByHeight: Object.fromEntries(Object.entries(a.playedByHeight ?? {}).map(([k, v]) => [k, round(v, 1)])),
    switchesUp: up,
    switchesDown: down,
    loaderSwitches: Math.max(0, ls.length - 1),
    playedLevels: played.map((f) => f.level).join(''),
    playedBytes: fragBytes,
    bwEstimateKbps: { p50: round(median(est) / 1000), max: est.length ? round(Math.max(...est) / 1000) : null },
    loadsBySource: count(loads, (x) => `${x.source} L${x.level}`),
    // fragment loads hls.js timed under 50 ms: answered at memory speed (store, an in-flight seeding download,
    // a peer's bytes already here), each a throughput sample far above the line that lifts its estimate
    fragLoads: loads.length,
    instantLoads: loads.filter((x) => x.loadMs !== null && x.loadMs < 50).length,
    // the player's own loads that went over the network (≥ 50 ms): their throughput, median, kbit/s
    networkLoadKbpsP50: round(median(loads.filter((x) => x.loadMs >= 50).map((x) => (x.bytes * 8) / x.loadMs))),
    upSwitches,
    stalls,
  };
}

/**
 * Bytes the player got from peers (delivered): its `p2p` segments, plus store hits of segments this page neither
 * seeded over HTTP (`seed` events) nor got over HTTP before (those came from a peer prefetch).
 */
function deliveredByPeers(sf) {
  const seeded = new Set(sf.seeds ?? []);
  const httpBefore = new Set();
  let bytes = 0;
  for (const e of sf.segments) {
    if (e.source === 'p2p') bytes += e.bytes;
    else if (e.source === 'store' && !seeded.has(e.path) && !httpBefore.has(e.path)) bytes += e.bytes;
    if (e.source === 'http') httpBefore.add(e.path);
  }
  return bytes;
}

function viewerSummary(r) {
  const s = r.snapshot && !r.snapshot.failed ? r.snapshot : null;
  const out = {
    index: r.index,
    nat: r.net?.nat,
    profile: r.net?.profile,
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
    latencyDriftMs: s ? round(s.latencyDriftMs) : null,
    hlsLatencyMs: s ? round(s.hlsLatencyMs) : null,
    playerErrors: s ? count(s.playerErrors, (e) => `${e.details}${e.fatal ? ' (fatal)' : ''}`) : {},
    pageErrors: r.pageErrors?.length ? r.pageErrors : undefined,
    mediaError: s?.mediaError ?? undefined,
    timing: s?.timing ? { ...s.timing, segmentLoadMs: undefined } : undefined,
    segmentLoadMs: s?.timing?.segmentLoadMs ?? [],
    abr: abrSummary(s),
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
      deliveredByPeersBytes: deliveredByPeers(sf),
      seedBytes: sf.stats?.seedBytes ?? null,
      storeHeldBytes: sf.stats?.storeBytes ?? null,
      fallbacks: count(segs, (e) => e.fallback),
      deliveryErrors: count(segs, (e) => e.error),
      p2pMsMedian: round(median(by('p2p').map((e) => e.ms)), 1),
      httpMsMedian: round(median(by('http').map((e) => e.ms)), 1),
      peerEvents: count(sf.peers, (e) => `${e.state}${e.reason ? `: ${e.reason}` : ''}`),
      // ms from this page's navigation start (its performance.now() origin) to its first `peer connected` event
      firstPeerMs: sf.peers.find((e) => e.state === 'connected')?.atMs ?? null,
      relayedDownloadedBytes: sf.stats?.relayedDownloadedBytes ?? null,
      relayedUploadedBytes: sf.stats?.relayedUploadedBytes ?? null,
      // the page's own uplink estimate (stats().uplinkBytesPerSec, bytes/s; null = never busy)
      uplinkBytesPerSec: sf.stats?.uplinkBytesPerSec ?? null,
      // how often asking peers paused because peer transfers kept failing (stats().p2pPauses)
      p2pPauses: sf.stats?.p2pPauses ?? null,
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
  // ABR, pooled over viewers: Σ level-seconds × level bitrate ÷ Σ seconds
  const abrs = all.map((v) => v.abr).filter(Boolean);
  const abrSecs = sum(abrs.map((x) => x.playedS ?? 0));
  const abr = abrs.length === 0 ? null : {
    levels: abrs[0].levels,
    meanPlayedKbps: abrSecs > 0 ? round(sum(abrs.map((x) => (x.meanPlayedKbps ?? 0) * (x.playedS ?? 0))) / abrSecs) : null,
    meanPlayedKbpsPerViewer: abrs.map((x) => x.meanPlayedKbps),
    playedS: round(abrSecs, 1),
    playedSByLevel: abrs.reduce((acc, x) => {
      for (const [k, v] of Object.entries(x.playedSByLevel)) acc[k] = round((acc[k] ?? 0) + v, 1);
      return acc;
    }, {}),
    switchesUp: sum(abrs.map((x) => x.switchesUp)),
    switchesDown: sum(abrs.map((x) => x.switchesDown)),
    loaderSwitches: sum(abrs.map((x) => x.loaderSwitches)),
    bwEstimateKbpsP50: round(median(abrs.map((x) => x.bwEstimateKbps.p50).filter((x) => x !== null))),
    fragLoads: sum(abrs.map((x) => x.fragLoads)),
    instantLoads: sum(abrs.map((x) => x.instantLoads)),
    networkLoadKbpsP50: round(median(abrs.map((x) => x.networkLoadKbpsP50).filter((x) => x !== null))),
  };
  const playedBytes = abrs.length ? sum(abrs.map((x) => x.playedBytes)) : null;
  const viewerOrigin = sum(viewers.map((v) => v.originBytes ?? 0));
  return {
    scenario: result.scenario,
    mode: result.mode,
    abr,
    /** HTTP (origin) bytes the viewers' pages and workers fetched vs bytes of the fragments that reached the playhead. */
    httpVsPlayed: { httpBytes: viewerOrigin, playedBytes, consumedBytes: consumed, ratio: playedBytes ? round(viewerOrigin / playedBytes, 3) : null },
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
    latencyDriftMs: round(mean(all.map((v) => v.latencyDriftMs))),
    hlsLatencyMs: round(mean(all.map((v) => v.hlsLatencyMs))),
    swarmfetch: sf.length === 0 ? null : {
      active: sf.filter((x) => x.active).length,
      httpBytes: sum(sf.map((x) => x.httpBytes)),
      p2pBytes: sum(sf.map((x) => x.p2pBytes)),
      storeBytes: sum(sf.map((x) => x.storeBytes)),
      uploadedBytes: sum(sf.map((x) => x.uploadedBytes ?? 0)),
      deliveredByPeersBytes: sum(sf.map((x) => x.deliveredByPeersBytes ?? 0)),
      // uploaded − delivered: bytes sent to peers that no player used (abandoned, late, duplicate, never played)
      wastedUploadBytes: sum(sf.map((x) => x.uploadedBytes ?? 0)) - sum(sf.map((x) => x.deliveredByPeersBytes ?? 0)),
      seedBytes: sum(sf.map((x) => x.seedBytes ?? 0)),
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
    // the lab's connection figures are swarmfetch's (baseline pages have no worker, so never a peer link)
    net: result.net ? { ...result.net, ...(result.mode === 'swarmfetch' ? netFigures(result) : {}) } : undefined,
    perViewer: viewers,
  };
}

const NAT_ORDER = ['cone', 'symmetric', 'none'];
const natRank = (k) => (NAT_ORDER.includes(k) ? NAT_ORDER.indexOf(k) : NAT_ORDER.length);
/** "cone–symmetric": the two kinds in NAT_ORDER. */
export const natPair = (a, b) => (natRank(a) <= natRank(b) ? `${a}–${b}` : `${b}–${a}`);

/**
 * The network lab's figures (--net), from the viewers' swarmfetch peer ids (stats().peerId and `ready` events),
 * their `peer` events (probe.mjs: sfPeers, atMs = performance.now()) and stats():
 * - connections per NAT kind pair: pairs of viewers that were in the swarm together (both had a swarmfetch peer id,
 *   and their times in the run — join until the end, or until it left — overlap) and had a peer link open at some
 *   point (a `peer connected` event on either side naming the other's id) ÷ such pairs;
 * - first peer per NAT kind: ms from the page's start (navigation start, the performance.now() origin) to its first
 *   `peer connected`; median and max over the viewers that got one, the others counted apart. Also from the later
 *   of its own start and the start of the first other viewer present (the first viewer cannot connect before a
 *   second one comes);
 * - relayed bytes: sums of stats().relayedDownloadedBytes and relayedUploadedBytes (a relayed transfer counts at
 *   both ends: once downloaded, once uploaded), and the links open at the end that went through a relay.
 */
function netFigures(result) {
  const endMs = result.runMs;
  const vs = result.records
    .map((r) => {
      const s = r.snapshot && !r.snapshot.failed ? r.snapshot : null;
      const sf = s?.swarmfetch?.present ? s.swarmfetch : null;
      const ids = new Set([...(sf?.ready ?? []).map((e) => e.peerId), sf?.stats?.peerId].filter(Boolean));
      return {
        index: r.index, nat: r.net?.nat ?? 'flat', sf, ids, timeOrigin: s?.timeOrigin ?? null,
        from: r.joinedAtMs, to: r.left ? r.leftAtMs : endMs,
        connectedTo: new Set((sf?.peers ?? []).filter((e) => e.state === 'connected').map((e) => e.peerId)),
        firstPeerMs: (sf?.peers ?? []).find((e) => e.state === 'connected')?.atMs ?? null,
      };
    })
    .filter((v) => v.sf);
  if (vs.length === 0) return { pairs: null, firstPeer: null, relayed: null };

  // connection success per NAT kind pair
  const pairs = {};
  const pairList = [];
  for (let a = 0; a < vs.length; a++) {
    for (let b = a + 1; b < vs.length; b++) {
      const x = vs[a];
      const y = vs[b];
      const overlapMs = Math.min(x.to, y.to) - Math.max(x.from, y.from);
      if (x.ids.size === 0 || y.ids.size === 0 || overlapMs <= 0) continue;
      const connected = [...y.ids].some((id) => x.connectedTo.has(id)) || [...x.ids].some((id) => y.connectedTo.has(id));
      const key = natPair(x.nat, y.nat);
      const p = (pairs[key] ??= { pairs: 0, connected: 0, rate: null });
      p.pairs++;
      if (connected) p.connected++;
      pairList.push({ viewers: [x.index, y.index], nats: key, overlapS: round(overlapMs / 1000, 1), connected });
    }
  }
  for (const p of Object.values(pairs)) p.rate = round(p.connected / p.pairs, 3);
  const total = Object.values(pairs).reduce((acc, p) => ({ pairs: acc.pairs + p.pairs, connected: acc.connected + p.connected }), { pairs: 0, connected: 0 });

  // time to first peer per NAT kind
  const firstPeer = {};
  for (const v of vs) {
    const f = (firstPeer[v.nat] ??= { viewers: 0, never: 0, ms: [], sinceOtherMs: [] });
    f.viewers++;
    if (v.firstPeerMs === null) {
      f.never++;
      continue;
    }
    f.ms.push(v.firstPeerMs);
    const others = vs.filter((o) => o !== v && o.timeOrigin !== null && o.to > v.from && o.from < v.to);
    if (v.timeOrigin !== null && others.length > 0) {
      const available = Math.max(v.timeOrigin, Math.min(...others.map((o) => o.timeOrigin)));
      f.sinceOtherMs.push(v.timeOrigin + v.firstPeerMs - available);
    }
  }
  for (const f of Object.values(firstPeer)) {
    f.medianMs = round(median(f.ms));
    f.maxMs = f.ms.length ? round(Math.max(...f.ms)) : null;
    f.sinceOtherMedianMs = round(median(f.sinceOtherMs));
    f.sinceOtherMaxMs = f.sinceOtherMs.length ? round(Math.max(...f.sinceOtherMs)) : null;
    f.ms = f.ms.map((x) => round(x));
    f.sinceOtherMs = f.sinceOtherMs.map((x) => round(x));
  }

  // P2P share of what the players got, per NAT kind (from the segment events)
  const p2pShare = {};
  for (const v of vs) {
    const segs = v.sf.segments ?? [];
    const x = (p2pShare[v.nat] ??= { httpBytes: 0, p2pBytes: 0, share: null });
    x.httpBytes += sum(segs.filter((e) => e.source === 'http').map((e) => e.bytes));
    x.p2pBytes += sum(segs.filter((e) => e.source === 'p2p').map((e) => e.bytes));
  }
  for (const x of Object.values(p2pShare)) x.share = x.httpBytes + x.p2pBytes > 0 ? round(x.p2pBytes / (x.httpBytes + x.p2pBytes), 3) : null;

  // relayed bytes, and the links open at the end (each link once, by its two ids)
  const down = sum(vs.map((v) => v.sf.stats?.relayedDownloadedBytes ?? 0));
  const up = sum(vs.map((v) => v.sf.stats?.relayedUploadedBytes ?? 0));
  const links = new Map();
  for (const v of vs) {
    const self = v.sf.stats?.peerId ?? `v${v.index}`;
    for (const p of v.sf.stats?.peerList ?? []) {
      const key = [self, p.peerId].sort().join(' ');
      links.set(key, (links.get(key) ?? false) || !!p.relayed);
    }
  }
  return {
    pairs,
    pairsTotal: { ...total, rate: total.pairs ? round(total.connected / total.pairs, 3) : null },
    pairList,
    firstPeer,
    p2pShare,
    relayed: {
      downloadedBytes: down,
      uploadedBytes: up,
      bytes: down + up,
      linksAtEnd: links.size,
      relayedLinksAtEnd: [...links.values()].filter(Boolean).length,
    },
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
