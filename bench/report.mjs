// The human-readable report: one table per scenario (baseline vs swarmfetch), per-viewer rows, micro-benchmarks.

const MB = 1e6;
const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)} %`);
const mb = (x) => (x === null || x === undefined ? '—' : (x / MB).toFixed(2));
const sec = (ms) => (ms === null || ms === undefined ? null : ms / 1000);
const num = (x, d = 0) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
const hist = (o) => {
  const e = Object.entries(o ?? {}).sort((a, b) => b[1] - a[1]);
  return e.length ? e.map(([k, v]) => `${k} ×${v}`).join(', ') : 'none';
};

function table(rows, align) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows
    .map((r) => r.map((cell, c) => (align?.[c] === 'l' ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  '))
    .join('\n');
}

export function scenarioText(s) {
  const { baseline: b, swarmfetch: w, comparison: cmp, about } = s;
  const lines = [];
  lines.push(`== ${s.name} — ${about}`);
  lines.push(`   ${b.viewers} viewers, joins ${s.staggerMs} ms apart, ${s.seconds} s after the last join, ${s.stream}${s.maxBufferSec ? ` (hls.js buffer ≤ ${s.maxBufferSec} s)` : ''}; run ${num(b.runS, 0)} s + ${num(w.runS, 0)} s`);
  const net = w.net ?? b.net;
  if (net) lines.push(`   ${netHeader(net)}`);
  const rows = [
    ['', 'baseline', 'swarmfetch'],
    ['offload (1 − origin ÷ consumed)', pct(b.offload), pct(w.offload)],
    ['  limit 1 − 1/N · ratio offload/limit', '', `${pct(w.limit)} · ${num(w.ratio, 3)}`],
    ['  exact limit (1 − unique ÷ consumed)', pct(b.exactLimit), pct(w.exactLimit)],
    ['origin MB / consumed MB', `${mb(b.originBytes)} / ${mb(b.consumedBytes)}`, `${mb(w.originBytes)} / ${mb(w.consumedBytes)}`],
    ['  of which no viewer asked for (hash oracle) MB', mb(b.otherOriginBytes ?? 0), mb(w.otherOriginBytes ?? 0)],
    ['time to first frame ms  mean', num(b.ttffMs.mean), num(w.ttffMs.mean)],
    ['                        p50 / max', `${num(b.ttffMs.p50)} / ${num(b.ttffMs.max)}`, `${num(w.ttffMs.p50)} / ${num(w.ttffMs.max)}`],
    ['  start, mean ms: swarmfetch.js / hls.js loaded', `— / ${num(b.startPhasesMs.hlsJsLoaded)}`, `${num(w.startPhasesMs.swarmfetchJsLoaded)} / ${num(w.startPhasesMs.hlsJsLoaded)}`],
    ['    playlist asked / 1st segment asked', `${num(b.startPhasesMs.playlistRequested)} / ${num(b.startPhasesMs.firstSegmentRequested)}`, `${num(w.startPhasesMs.playlistRequested)} / ${num(w.startPhasesMs.firstSegmentRequested)}`],
    ['    1st segment loaded / buffered / canplay', `${num(b.startPhasesMs.firstSegmentLoaded)} / ${num(b.startPhasesMs.firstFragBuffered)} / ${num(b.startPhasesMs.canplay)}`, `${num(w.startPhasesMs.firstSegmentLoaded)} / ${num(w.startPhasesMs.firstFragBuffered)} / ${num(w.startPhasesMs.canplay)}`],
    ['    SW controls the page', '—', num(w.startPhasesMs.controlledBySw)],
    ['segment load ms (player XHR) p50 / p95', `${num(b.segmentLoadMs.p50)} / ${num(b.segmentLoadMs.p95)}`, `${num(w.segmentLoadMs.p50)} / ${num(w.segmentLoadMs.p95)}`],
    ['rebuffers (all viewers)', String(b.rebuffers), String(w.rebuffers)],
    ['stalled ms (all viewers)', num(b.stalledMs), num(w.stalledMs)],
    ['behind wall clock s (sum)', num(b.behindS, 1), num(w.behindS, 1)],
  ];
  if (b.latencyMs !== null || w.latencyMs !== null) {
    rows.push(['live latency s (now − playhead date)', num(b.latencyMs / 1000, 2), num(w.latencyMs / 1000, 2)]);
    rows.push(['  hls.latency s', num(b.hlsLatencyMs / 1000, 2), num(w.hlsLatencyMs / 1000, 2)]);
    rows.push(['  drift while playing s (last − first samples)', num(sec(b.latencyDriftMs), 2), num(sec(w.latencyDriftMs), 2)]);
  }
  // ABR (a multi-rendition stream) and the byte balance (every scenario)
  const multi = (x) => (x.abr?.levels?.length ?? 0) > 1;
  if (multi(b) || multi(w)) {
    const lv = (b.abr ?? w.abr).levels.map((l) => `${l.height}p ${l.kbps}`).join(' / ');
    rows.push([`mean played bitrate kbit/s (levels ${lv})`, num(b.abr?.meanPlayedKbps), num(w.abr?.meanPlayedKbps)]);
    const bySec = (a) => (a ? (a.levels.map((_, i) => num(a.playedSByLevel[i] ?? 0, 0)).join(' / ')) : '—');
    rows.push(['  media s played per level (low → high)', bySec(b.abr), bySec(w.abr)]);
    rows.push(['level switches up / down (played)', b.abr ? `${b.abr.switchesUp} / ${b.abr.switchesDown}` : '—', w.abr ? `${w.abr.switchesUp} / ${w.abr.switchesDown}` : '—']);
    rows.push(['  loader switches (LEVEL_SWITCHED)', num(b.abr?.loaderSwitches), num(w.abr?.loaderSwitches)]);
    rows.push(['hls.js bandwidth estimate kbit/s p50 (of viewer p50s)', num(b.abr?.bwEstimateKbpsP50), num(w.abr?.bwEstimateKbpsP50)]);
    rows.push(['  fragment loads ≥ 50 ms: throughput kbit/s p50', num(b.abr?.networkLoadKbpsP50), num(w.abr?.networkLoadKbpsP50)]);
    const inst = (a) => (a && a.fragLoads !== undefined ? `${a.instantLoads} / ${a.fragLoads}` : '—');
    rows.push(['  fragment loads < 50 ms (memory speed) / all', inst(b.abr), inst(w.abr)]);
  }
  const hp = (x) => (x?.httpVsPlayed ? `${mb(x.httpVsPlayed.httpBytes)} / ${mb(x.httpVsPlayed.playedBytes)} (${num(x.httpVsPlayed.ratio, 2)}×)` : '—');
  rows.push(['HTTP MB (viewers\' origin) / played MB (ratio)', hp(b), hp(w)]);
  if (w.swarmfetch) {
    const x = w.swarmfetch;
    rows.push(['uploaded / delivered by peers / wasted MB', '—', `${mb(x.uploadedBytes)} / ${mb(x.deliveredByPeersBytes)} / ${mb(x.wastedUploadBytes)}`]);
  }
  const cond = (c) => (c ? `${num(c.loadAvg1m.mean, 1)} / ${num(c.loadAvg1m.max, 1)}` : '—');
  rows.push(['machine load avg (1 min) mean / max', cond(b.conditions), cond(w.conditions)]);
  rows.push(['CPU s used by this run\'s browser', num(b.conditions?.browserCpuS, 1), num(w.conditions?.browserCpuS, 1)]);
  const cpuType = (c, t) => num(c?.browserCpuByType?.[t], 1);
  rows.push(['  renderers / gpu / utility+browser', `${cpuType(b.conditions, 'renderer')} / ${cpuType(b.conditions, 'gpu-process')} / ${num((b.conditions?.browserCpuByType?.utility ?? 0) + (b.conditions?.browserCpuByType?.browser ?? 0), 1)}`,
    `${cpuType(w.conditions, 'renderer')} / ${cpuType(w.conditions, 'gpu-process')} / ${num((w.conditions?.browserCpuByType?.utility ?? 0) + (w.conditions?.browserCpuByType?.browser ?? 0), 1)}`]);
  if (b.noFirstFrame || w.noFirstFrame || b.viewersFailed || w.viewersFailed) {
    rows.push(['viewers without first frame / failed', `${b.noFirstFrame} / ${b.viewersFailed}`, `${w.noFirstFrame} / ${w.viewersFailed}`]);
  }
  lines.push(table(rows, ['l', 'r', 'r']));
  if (w.net) lines.push(...netText(w.net));
  const sf = w.swarmfetch;
  if (sf) {
    lines.push(
      `swarmfetch: active in ${sf.active}/${w.viewers} pages · http ${mb(sf.httpBytes)} MB · p2p ${mb(sf.p2pBytes)} MB · store ${mb(sf.storeBytes)} MB · ` +
        `uploaded ${mb(sf.uploadedBytes)} MB · p2p segment ms p50 ${num(sf.p2pMsP50)} p95 ${num(sf.p2pMsP95)} · segments not seen by swarmfetch ${sf.unreportedSegments}`,
    );
    lines.push(`  http because: ${hist(sf.fallbacks)}`);
    if (Object.keys(sf.deliveryErrors).length) lines.push(`  delivery errors: ${hist(sf.deliveryErrors)}`);
    lines.push(`  peer events: ${hist(sf.peerEvents)}`);
    if (Object.keys(sf.errors).length) lines.push(`  error events: ${hist(sf.errors)}`);
  }
  for (const e of [...b.events.map((x) => ({ ...x, mode: 'baseline' })), ...w.events.map((x) => ({ ...x, mode: 'swarmfetch' }))]) {
    lines.push(`  ${e.mode} at ${(e.atMs / 1000).toFixed(1)} s: ${e.what}`);
  }
  if (cmp.checks.length) {
    lines.push(`targets: ${cmp.checks.map((c) => `${c.what}: ${c.ok ? 'ok' : 'MISS'} (${c.value})`).join(' · ')}`);
  }
  // per viewer
  const per = [['viewer', ...(net ? ['nat / line', '1st peer ms'] : []), 'join s', 'ttff ms b/s', 'rebuf b/s', 'stalled ms b/s', 'played s b/s', 'origin MB b/s', 'http/p2p/store segs', 'up MB', 'notes']];
  for (let i = 0; i < Math.max(b.perViewer.length, w.perViewer.length); i++) {
    const vb = b.perViewer[i] ?? {};
    const vw = w.perViewer[i] ?? {};
    const x = vw.swarmfetch;
    const notes = [];
    if (vb.left !== undefined) notes.push(`b: left at ${vb.left} s`);
    if (vw.left !== undefined) notes.push(`s: left at ${vw.left} s`);
    if (vw.capped) {
      const cap = x?.uploadMaxBytesPerSec;
      const set = cap === s.uploadCapBytesPerSec;
      notes.push(
        `upload cap ${s.uploadCapBytesPerSec} B/s: ${set ? 'set' : typeof cap === 'string' ? cap : `NOT set (config says ${cap ?? 'n/a'})`}` +
          `, uploaded ${num(x?.uploadBytesPerSec)} B/s on average`,
      );
    }
    if (x?.uplinkBytesPerSec) notes.push(`uplink est. ${num((x.uplinkBytesPerSec * 8) / 1000)} kbit/s`);
    if (x?.p2pPauses) notes.push(`P2P paused ${x.p2pPauses}×`);
    if (vb.failed) notes.push(`b failed: ${vb.failed}`);
    if (vw.failed) notes.push(`s failed: ${vw.failed}`);
    if (vb.mediaError || vw.mediaError) notes.push('media error');
    const fatal = [vb, vw].flatMap((v) => Object.keys(v.playerErrors ?? {}).filter((k) => k.includes('fatal')));
    if (fatal.length) notes.push(`player: ${[...new Set(fatal)].join(', ')}`);
    if (x && x.active === false) notes.push('SW not controlling');
    if (vb.pageErrors?.length || vw.pageErrors?.length) notes.push(`page errors b/s: ${vb.pageErrors?.length ?? 0}/${vw.pageErrors?.length ?? 0}`);
    per.push([
      String(i),
      ...(net ? [`${vw.nat ?? vb.nat ?? '—'} / ${vw.profile ?? vb.profile ?? '—'}`, x ? num(x.firstPeerMs) : '—'] : []),
      num(vw.joinedAtS ?? vb.joinedAtS, 1),
      `${num(vb.ttffMs)}/${num(vw.ttffMs)}`,
      `${vb.rebuffers ?? '—'}/${vw.rebuffers ?? '—'}`,
      `${num(vb.stalledMs)}/${num(vw.stalledMs)}`,
      `${num(vb.playedS, 1)}/${num(vw.playedS, 1)}`,
      `${mb(vb.originBytes)}/${mb(vw.originBytes)}`,
      x ? `${x.segments.http}/${x.segments.p2p}/${x.segments.store}` : '—',
      x ? mb(x.uploadedBytes) : '—',
      notes.join('; '),
    ]);
  }
  lines.push(table(per, [...(net ? ['l', 'r'] : []), 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']));
  if (multi(b) || multi(w)) lines.push(...abrViewerText(b, w));
  return lines.join('\n');
}


/** Per viewer ABR: bitrate, switches, estimate, played levels, and what each stall waited for. */
function abrViewerText(b, w) {
  const rows = [['viewer', 'kbit/s b/s', 'up/down b/s', 'est. kbit/s p50 b/s', 'played levels (b | s)', 'swarmfetch stalls: level source load ms→stalled ms']];
  const st = (a) => (a?.stalls ?? []).map((x) => `L${x.level ?? '?'} ${x.source ?? '?'}${x.fallback ? ` (${x.fallback})` : ''} ${num(x.loadMs)}ms→${num(x.ms)}ms`).join(', ');
  for (let i = 0; i < Math.max(b.perViewer.length, w.perViewer.length); i++) {
    const ab = b.perViewer[i]?.abr;
    const aw = w.perViewer[i]?.abr;
    rows.push([String(i), `${num(ab?.meanPlayedKbps)}/${num(aw?.meanPlayedKbps)}`, `${ab ? `${ab.switchesUp}/${ab.switchesDown}` : '—'} | ${aw ? `${aw.switchesUp}/${aw.switchesDown}` : '—'}`,
      `${num(ab?.bwEstimateKbps.p50)}/${num(aw?.bwEstimateKbps.p50)}`, `${ab?.playedLevels ?? '—'} | ${aw?.playedLevels ?? '—'}`, st(aw) || '—']);
  }
  const lines = [table(rows, ['r', 'r', 'r', 'r', 'l', 'l'])];
  const ups = w.perViewer.flatMap((v) => (v.abr?.upSwitches ?? []).map((u) => ({ ...u, viewer: v.index })));
  if (ups.length) {
    const bySrc = {};
    for (const u of ups) bySrc[u.afterSource ?? '?'] = (bySrc[u.afterSource ?? '?'] ?? 0) + 1;
    lines.push(`swarmfetch up-switches (loader) by the source of the fragment load right before: ${hist(bySrc)}`);
  }
  const bst = b.perViewer.flatMap((v) => v.abr?.stalls ?? []);
  if (bst.length) lines.push(`baseline stalls: ${bst.map((x) => `L${x.level ?? '?'} ${num(x.loadMs)}ms→${num(x.ms)}ms`).join(', ')}`);
  return lines;
}

const rates = (v) => (v.downMbit === null ? 'not shaped' : `${v.downMbit}/${v.upMbit} Mbit/s down/up`);

/** "network lab: line cable (50/10 Mbit/s); NAT cone ×3, symmetric ×3 (v0 cone, v1 symmetric, …); TURN: no". */
function netHeader(net) {
  const kinds = {};
  for (const v of net.viewers) kinds[v.nat] = (kinds[v.nat] ?? 0) + 1;
  const line = net.profile === 'mixed'
    ? `mixed (${net.viewers.map((v) => `v${v.index} ${v.profile}`).join(', ')})`
    : `${net.profile} (${rates(net.viewers[0])})`;
  return `network lab (--net ${net.profile} --nat ${net.nat}${net.turn ? ' --turn' : ''}): line ${line}; NAT ${Object.entries(kinds).map(([k, n]) => `${k} ×${n}`).join(', ')} ` +
    `(${net.viewers.map((v) => `v${v.index} ${v.nat}`).join(', ')}); TURN ${net.turn ? `coturn on ${net.publicAddress}` : 'none'}; no added RTT (no netem)`;
}

/** The lab's figures of the swarmfetch mode (summary.mjs netFigures). */
function netText(n) {
  const lines = [];
  if (!n.pairs) {
    lines.push('network lab: no swarmfetch page reported (no connection figures)');
    return lines;
  }
  const rows = [['connections: NAT pair', 'pairs together', 'connected', 'success']];
  for (const [k, p] of Object.entries(n.pairs)) rows.push([k, String(p.pairs), String(p.connected), pct(p.rate)]);
  rows.push(['all', String(n.pairsTotal.pairs), String(n.pairsTotal.connected), pct(n.pairsTotal.rate)]);
  lines.push(table(rows, ['l', 'r', 'r', 'r']));
  const fp = [['first peer: NAT kind', 'viewers', 'never', 'ms from page start p50 / max', 'from 1st other viewer p50 / max', 'p2p share']];
  for (const [k, f] of Object.entries(n.firstPeer)) {
    const share = n.p2pShare?.[k];
    fp.push([k, String(f.viewers), String(f.never), `${num(f.medianMs)} / ${num(f.maxMs)}`, `${num(f.sinceOtherMedianMs)} / ${num(f.sinceOtherMaxMs)}`, share ? pct(share.share) : '—']);
  }
  lines.push(table(fp, ['l', 'r', 'r', 'r', 'r', 'r']));
  const r = n.relayed;
  lines.push(
    `relayed (TURN): ${mb(r.bytes)} MB (downloaded ${mb(r.downloadedBytes)} + uploaded ${mb(r.uploadedBytes)}, a relayed transfer counts at both ends) · ` +
      `links open at the end ${r.linksAtEnd}, of which relayed ${r.relayedLinksAtEnd}`,
  );
  if (n.coturn) {
    lines.push(`  coturn's log: ${n.coturn.sessions} TURN sessions (allocations of every page and transport) during the run`);
  }
  return lines;
}

export function microText(m) {
  const lines = ['== micro-benchmarks'];
  if (m.roundTrip) {
    const r = m.roundTrip;
    const row = (label, x) => [label, num(x?.p50, 2), num(x?.p95, 2), num(x?.min, 2)];
    lines.push(`1 MiB segment (${r.bytes} B), page fetch until arrayBuffer(), ms:`);
    lines.push(
      table(
        [
          ['', 'p50', 'p95', 'min'],
          row('stored, through SW → agent → SW', r.storedViaSw),
          row('  same, SW-reported (before body streams)', r.storedSwReported),
          row('HTTP through SW (store miss)', r.httpViaSw),
          row('HTTP, SW blocked', r.httpNoSw),
        ],
        ['l', 'r', 'r', 'r'],
      ),
    );
    lines.push(`  sources seen: stored ${hist(r.storedViaSw.sources)}; http-through-SW ${hist(r.httpViaSw.sources)}`);
  }
  if (m.p2p) {
    const p = m.p2p;
    lines.push(`2 MiB segment from a peer (${p.bytes} B):`);
    if (p.swarmfetch) {
      lines.push(
        `  swarmfetch: page p50 ${num(p.swarmfetch.pageMs?.p50, 1)} ms p95 ${num(p.swarmfetch.pageMs?.p95, 1)} ms (${num(p.swarmfetch.pageMBps, 1)} MiB/s); ` +
          `SW-reported p50 ${num(p.swarmfetch.reportedMs?.p50, 1)} ms (${num(p.swarmfetch.reportedMBps, 1)} MiB/s); sources ${hist(p.swarmfetch.sources)}`,
      );
    }
    if (p.raw) lines.push(`  raw RTCDataChannel: p50 ${num(p.raw.ms.p50, 1)} ms p95 ${num(p.raw.ms.p95, 1)} ms (${num(p.raw.MBps, 1)} MiB/s)`);
    lines.push(`  ratio swarmfetch ÷ raw: ${num(p.ratio, 2)} (page) · ${num(p.ratioReported, 2)} (SW-reported) — target ≥ 0.7`);
    for (const x of p.problems) lines.push(`  problem: ${x}`);
  }
  if (m.digest) {
    const d = m.digest;
    lines.push(
      `SHA-256 per MiB in Chromium: digest ${num(d.digestMs, 2)} ms; frames joined + digest (the agent's check) ` +
        `${num(d.assembledMs, 2)} ms; Blob read back + digest ${num(d.blobMs, 2)} ms ` +
        `(Node createHash at the same time: ${num(d.nodeMs, 2)} ms; load average ${num(d.loadAverage, 1)})`,
    );
  }
  for (const e of m.errors ?? []) lines.push(`  FAILED ${e}`);
  if (m.bundles) {
    for (const [name, x] of Object.entries(m.bundles)) {
      lines.push(`gzip -9 ${name}: ${x.gzipBytes} B (${(x.gzipBytes / 1000).toFixed(1)} KB; raw ${x.bytes} B) — budget ${x.budgetGzipBytes / 1000} KB: ${x.ok ? 'ok' : 'MISS'}`);
    }
  }
  return lines.join('\n');
}
