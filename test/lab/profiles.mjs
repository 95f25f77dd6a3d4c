// Access-link profiles of the network lab (test/lab/README.md): the rates each viewer's line is shaped to, and the
// tbf parameters that shape it. Plain JavaScript so `node bench/run.mjs` needs no TypeScript runner.
//
// tbf has two knobs besides the rate, and both matter:
// - burst (the bucket): how many bytes may leave at once, at the veth's speed, after the line was idle. Too small
//   and the rate is capped below the profile (tbf then waits for a timer before every packet; a frame bigger than
//   the bucket is dropped outright): measured at 50 Mbit/s, a one-frame bucket gave 0.81 × the rate as HTTP
//   goodput. Too large and the "line" is not one: a 1 MB bucket would let 1 MB through at veth speed.
//   We use max(2 ms of the rate, 2 full frames): 12.5 KB at 50 Mbit/s, 3028 B at 10 Mbit/s and below.
// - limit (the queue): bytes waiting for tokens; what does not fit is dropped. The longest a packet waits is about
//   limit / rate (bufferbloat). Too small and TCP (and SCTP in a data channel) loses packets in bursts and stays
//   below the rate (a 7.3 KB queue, under 5 frames, at 1 Mbit/s: 0.84 ×); too large and the queue adds delay a
//   test would mistake for a slow peer (a 550 ms queue at 1 Mbit/s: TCP filled it, median UDP round trip 506 ms).
//   We use max(50 ms of the rate, 8 full frames) + the burst: at most 52 ms of queueing at 10–50 Mbit/s, 62 ms at
//   2 Mbit/s, 121 ms at 1 Mbit/s and 242 ms at 0.5 Mbit/s (eight frames take that long to serialize).
//   tbfParams(rate).maxQueueDelayMs gives the figure for any rate.
// Measured with these values (HTTP over TCP, 4 s transfers, this 2-core machine): 0.91–0.94 × the profile rate,
// of a ceiling of 0.956 × (1448 payload bytes per 1514-byte frame; tbf counts whole Ethernet frames).
// There is no added RTT in these profiles: the kernel here has no netem (README.md says what that means).

/** Bytes of a full Ethernet frame on the lab's veths (MTU 1500 + 14 bytes of header). tbf counts these bytes. */
export const FRAME_BYTES = 1514;

/** Bucket: this long at the rate, and never less than BURST_MIN_FRAMES full frames. */
export const BURST_MS = 2;
export const BURST_MIN_FRAMES = 2;
/** Queue: this long at the rate, and never less than QUEUE_MIN_FRAMES full frames (plus the bucket). */
export const QUEUE_MS = 50;
export const QUEUE_MIN_FRAMES = 8;

/**
 * Named profiles. Rates in Mbit/s (10^6 bit/s) of Ethernet frames; `null` = not shaped.
 * `down` shapes what reaches the home (egress of the NAT's LAN side), `up` what leaves it (egress of the WAN side).
 */
export const PROFILES = Object.freeze({
  lan: Object.freeze({ name: 'lan', downMbit: null, upMbit: null }),
  cable: Object.freeze({ name: 'cable', downMbit: 50, upMbit: 10 }),
  dsl: Object.freeze({ name: 'dsl', downMbit: 16, upMbit: 1 }),
  mobile: Object.freeze({ name: 'mobile', downMbit: 10, upMbit: 2 }),
  slow: Object.freeze({ name: 'slow', downMbit: 1, upMbit: 0.5 }),
});

/** The swarm mix `mixed` draws from, by viewer index (wrapping around). */
export const MIXED = Object.freeze(['cable', 'dsl', 'mobile', 'cable', 'slow', 'dsl', 'cable', 'mobile']);

/** The profile name `mixed` gives viewer `index`. */
export function mixedProfile(index) {
  return MIXED[index % MIXED.length];
}

/**
 * The profile for a viewer: a name of PROFILES, `'mixed'` (by `index`), or an object
 * `{ name?, downMbit, upMbit }` of your own. Throws on an unknown name or a bad rate.
 */
export function resolveProfile(profile, index = 0) {
  const p = profile === 'mixed' ? PROFILES[mixedProfile(index)] : typeof profile === 'string' ? PROFILES[profile] : profile;
  if (!p || typeof p !== 'object') {
    throw new Error(`lab: unknown profile ${JSON.stringify(profile)} (known: ${[...Object.keys(PROFILES), 'mixed'].join(', ')})`);
  }
  for (const key of ['downMbit', 'upMbit']) {
    const rate = p[key];
    if (rate !== null && !(typeof rate === 'number' && Number.isFinite(rate) && rate > 0)) {
      throw new Error(`lab: profile ${JSON.stringify(p.name ?? p)} has a bad ${key}: ${String(rate)} (Mbit/s > 0, or null)`);
    }
  }
  return Object.freeze({ name: p.name ?? 'custom', downMbit: p.downMbit, upMbit: p.upMbit });
}

/**
 * The tbf parameters for a rate in Mbit/s: `{ rateBit, burstBytes, limitBytes, burstMs, maxQueueDelayMs }`.
 * `maxQueueDelayMs` is how long a packet can wait in the full queue (limit / rate).
 */
export function tbfParams(rateMbit) {
  const rateBit = Math.round(rateMbit * 1e6);
  const bytesPerMs = rateBit / 8 / 1000;
  const burstBytes = Math.max(Math.ceil(BURST_MS * bytesPerMs), BURST_MIN_FRAMES * FRAME_BYTES);
  const queueBytes = Math.max(Math.ceil(QUEUE_MS * bytesPerMs), QUEUE_MIN_FRAMES * FRAME_BYTES);
  const limitBytes = queueBytes + burstBytes;
  return Object.freeze({
    rateBit,
    burstBytes,
    limitBytes,
    burstMs: burstBytes / bytesPerMs,
    maxQueueDelayMs: limitBytes / bytesPerMs,
  });
}

/** `tc` arguments (after `tc [-n NS]`) putting a tbf for `rateMbit` on `dev` (replacing what was there). */
export function tbfArgs(dev, rateMbit) {
  const t = tbfParams(rateMbit);
  return ['qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${t.rateBit}bit`, 'burst', String(t.burstBytes), 'limit', String(t.limitBytes)];
}
