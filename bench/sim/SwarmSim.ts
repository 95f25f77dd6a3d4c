import { electFetcher } from '../../client/electFetcher';
import type { PeerLink } from '../../client/PeerLink';
import { LinkRegistry } from '../../client/peer/LinkRegistry';
import { PeerSelection } from '../../client/peer/PeerSelection';
import { budgetFor } from '../../client/urgency';
import { Tracker } from '../../server/Tracker';
import { EventQueue } from './EventQueue';
import { DEFAULT_OPTIONS, RULES, type SimOptions } from './model';
import { CumulativePicker, Random, zipfWeights } from './random';
import { SimLink, type LinkEnd } from './SimLink';

/** What one run counted; segment and byte figures cover requests made in the measured window only. */
export interface SimCounts {
  mode: 'live' | 'vod';
  viewers: number;
  windowSec: number;
  /** Viewers present, averaged over the window, and the most at once. */
  meanViewers: number;
  peakViewers: number;
  segmentsPlayed: number;
  playedBytes: number;
  httpBytes: number;
  p2pBytes: number;
  /** Bytes of the distinct segments played in the window: what had to come over HTTP at least once. */
  uniqueBytes: number;
  /** Viewers' stalled time and watched time (ms) in the window. */
  stallMs: number;
  watchedMs: number;
  /** Distinct swarms (rendition × title) with a viewer in the window. */
  swarms: number;
  /** Tracker requests (joins and refreshes) and those whose draw was not empty (a cluster then checks liveness). */
  trackerJoins: number;
  trackerJoinsWithPeers: number;
  /** Signalling sockets opened (viewers arriving) and closed (leaving). */
  connects: number;
  disconnects: number;
  dials: number;
  dialsOpened: number;
  /** Refused by the callee: no inbound slot (or both dialled at once: one is kept). */
  dialsRefused: number;
  /** ICE never connected (held both slots until the open deadline). */
  dialsFailed: number;
  /** PeerJS messages relayed between peers by the server (offers, answers, candidates). */
  signallingMessages: number;
  /** ∫ viewers dt over the window (viewer-seconds): heartbeats are per viewer and second. */
  viewerSeconds: number;
  /** Open links per viewer, averaged over the window's samples. */
  meanOpenLinks: number;
  /** Events processed (the whole run). */
  events: number;
}

/** The live stream has been on for this long when the simulation starts (players find a full playlist). */
const LIVE_ON_AIR_MS = 3_600_000;

interface Title {
  segSec: number;
  segments: number;
}

interface Inflight {
  waiters: Array<{ req: Request; within: number }>;
}

interface Viewer extends LinkEnd {
  id: string;
  alive: boolean;
  downBpms: number;
  upBpms: number;
  swarm: string;
  keyPrefix: string;
  segSec: number;
  segBytes: number;
  /** VOD: the title's last segment index. */
  lastIndex: number;
  store: Map<string, number>;
  storeBytes: number;
  inflight: Map<string, Inflight>;
  /** When the uplink has sent everything queued on it (uploads share it first come, first served). */
  upFreeAt: number;
  links: LinkRegistry;
  selection: PeerSelection<SimLink>;
  unreachable: Map<string, number>;
  released: boolean;
  next: number;
  started: boolean;
  playStartAt: number;
  mediaStartSec: number;
  bufferedEndSec: number;
  stalledMs: number;
  /** Live: when in each segment period this viewer's player sees the new segment (its playlist refresh), ms. */
  phaseMs: number;
}

interface Request {
  v: Viewer;
  k: number;
  key: string;
  bytes: number;
  at: number;
  deadline: number;
  starving: boolean;
  tried: Set<string>;
  done: boolean;
  waiting: boolean;
  /** A peer is sending it (send() settles it: delivered, or HTTP at the deadline). */
  sending: boolean;
}

/**
 * A discrete-event simulation of one swarmfetch audience at segment granularity (see bench/README.md, "Simulator"):
 * viewers arrive and leave, find each other through the real Tracker, hold links under the real LinkRegistry's slot
 * rules, and for every segment ask the peer the real PeerSelection picks, wait for the one the real electFetcher
 * elects, or go to the origin — within the budget the real budgetFor gives their buffer. Links carry whole segments
 * over the uploader's uplink, shared first come, first served.
 */
export class SwarmSim {
  readonly o: SimOptions;
  private readonly q = new EventQueue();
  private readonly rng: Random;
  private readonly tracker: Tracker;
  private readonly viewers = new Map<string, Viewer>();
  /** The one request a viewer waits on for a fetcher to show up, by viewer id. */
  private readonly waiting = new Map<string, Request>();
  private readonly titles: Title[] = [];
  private readonly titlePicker: CumulativePicker | null;
  private readonly windowStart: number;
  private readonly windowEnd: number;
  private seq = 0;
  private readonly unique = new Map<string, number>();
  private readonly keys = new Map<string, Map<number, string>>();
  private readonly swarmsSeen = new Set<string>();
  private linkSamples = 0;
  /** The link LinkRegistry's `create` made last (it is called synchronously inside `add`). */
  private created: SimLink | null = null;
  private linkSum = 0;
  private readonly c: SimCounts;

  constructor(options: Partial<SimOptions> = {}) {
    this.o = { ...DEFAULT_OPTIONS, ...options };
    this.rng = new Random(this.o.seed);
    this.tracker = new Tracker({ random: () => this.rng.next(), maxSwarmsPerPeer: RULES.maxSwarms });
    this.windowStart = (this.o.rampSec + this.o.warmSec) * 1000;
    this.windowEnd = this.windowStart + this.o.measureSec * 1000;
    if (this.o.mode === 'vod') {
      for (let i = 0; i < this.o.titles; i++) {
        const segSec = this.o.vodSegmentSec[Math.floor(this.rng.next() * this.o.vodSegmentSec.length)] as number;
        const minutes = this.rng.between(this.o.titleMinutes[0], this.o.titleMinutes[1]);
        this.titles.push({ segSec, segments: Math.max(1, Math.round((minutes * 60) / segSec)) });
      }
      this.titlePicker = new CumulativePicker(zipfWeights(this.o.titles, this.o.zipf));
    } else {
      this.titlePicker = null;
    }
    this.c = {
      mode: this.o.mode, viewers: this.o.viewers, windowSec: this.o.measureSec, meanViewers: 0, peakViewers: 0,
      segmentsPlayed: 0, playedBytes: 0, httpBytes: 0, p2pBytes: 0, uniqueBytes: 0, stallMs: 0, watchedMs: 0, swarms: 0,
      trackerJoins: 0, trackerJoinsWithPeers: 0, connects: 0, disconnects: 0, dials: 0, dialsOpened: 0, dialsRefused: 0,
      dialsFailed: 0, signallingMessages: 0, viewerSeconds: 0, meanOpenLinks: 0, events: 0,
    };
  }

  /** Each viewer present now: its links and how many of them dialled in (what the slot rules bound). */
  slots(): Array<{ links: number; inbound: number }> {
    return [...this.viewers.values()].map((v) => {
      let inbound = 0;
      for (const l of v.links.values()) if (!l.dialled) inbound++;
      return { links: v.links.size, inbound };
    });
  }

  private get now(): number {
    return this.q.now;
  }

  private inWindow(t: number): boolean {
    return t >= this.windowStart && t < this.windowEnd;
  }

  run(): SimCounts {
    const o = this.o;
    // the flash crowd: `viewers` arrivals spread evenly at random over the ramp; then Poisson arrivals replace leavers
    for (let i = 0; i < o.viewers; i++) {
      const t = this.rng.next() * o.rampSec * 1000;
      this.q.at(t, () => this.arrive(true));
    }
    const churnMeanMs = (o.meanSessionSec * 1000) / o.viewers;
    const churn = (): void => {
      this.arrive(false);
      this.q.at(this.now + this.rng.exponential(churnMeanMs), churn);
    };
    this.q.at(o.rampSec * 1000 + this.rng.exponential(churnMeanMs), churn);
    // one sample a second of the viewers present, one every 10 s of their open links
    let tick = 0;
    const sample = (): void => {
      if (this.inWindow(this.now)) {
        const n = this.viewers.size;
        this.c.viewerSeconds += n;
        this.c.peakViewers = Math.max(this.c.peakViewers, n);
        if (tick++ % 10 === 0) {
          let open = 0;
          for (const v of this.viewers.values()) for (const l of v.links.values()) if ((l as unknown as SimLink).isOpen) open++;
          this.linkSamples += n;
          this.linkSum += open;
        }
      }
      this.q.at(this.now + 1000, sample);
    };
    this.q.at(this.windowStart, sample);
    this.q.runUntil(this.windowEnd);
    this.c.meanViewers = this.c.viewerSeconds / o.measureSec;
    this.c.meanOpenLinks = this.linkSamples > 0 ? this.linkSum / this.linkSamples : 0;
    for (const b of this.unique.values()) this.c.uniqueBytes += b;
    this.c.swarms = this.swarmsSeen.size;
    this.c.events = this.q.ran;
    this.c.watchedMs = this.c.viewerSeconds * 1000;
    return this.c;
  }

  // ---- viewers ----

  /**
   * A viewer opens the page. `initial`: one of the first `viewers` (the ramp); in VOD it is taken mid-session (a uniform
   * position in its title), so that the window sees an audience spread over the titles as in steady state, not a
   * flash crowd all at the beginning.
   */
  private arrive(initial: boolean): void {
    const o = this.o;
    const now = this.now;
    const line = o.lines[this.rng.pick(o.lines.map((l) => l.weight))]!;
    const mbit = o.ladderMbit.find((r) => r <= line.downMbit * o.abrShare) ?? (o.ladderMbit[o.ladderMbit.length - 1] as number);
    const id = `v${(this.seq++).toString(36)}`;
    let segSec: number;
    let keyPrefix: string;
    let first: number;
    let lastIndex = Infinity;
    let phaseMs = 0;
    if (o.mode === 'live') {
      segSec = o.liveSegmentSec;
      keyPrefix = `live/${mbit}/`;
      // the newest complete segment, and the player starts liveSyncSegments behind the edge (hls.js)
      const newest = Math.floor((now + LIVE_ON_AIR_MS) / (segSec * 1000)) - 1;
      first = Math.max(0, newest - RULES.liveSyncSegments + 1);
      phaseMs = this.rng.next() * segSec * 1000;
    } else {
      const t = this.titlePicker!.pick(this.rng);
      const title = this.titles[t]!;
      segSec = title.segSec;
      keyPrefix = `t${t}/${mbit}/`;
      const fromStart = !initial && this.rng.next() < o.vodFromStart;
      first = fromStart ? 0 : Math.floor(this.rng.next() * Math.max(1, title.segments - 1));
      lastIndex = title.segments - 1;
    }
    const v: Viewer = {
      id, alive: true, downBpms: line.downMbit * 125, upBpms: line.upMbit * 125,
      swarm: `sim|${keyPrefix}`, keyPrefix, segSec, segBytes: Math.round((mbit * 1e6 * segSec) / 8), lastIndex,
      store: new Map(), storeBytes: 0, inflight: new Map(), upFreeAt: 0,
      links: null as unknown as LinkRegistry, selection: null as unknown as PeerSelection<SimLink>,
      unreachable: new Map(), released: false, next: first, started: false, playStartAt: 0,
      mediaStartSec: first * segSec, bufferedEndSec: first * segSec, stalledMs: 0, phaseMs,
    };
    v.links = new LinkRegistry({
      maxPeers: RULES.maxPeers,
      myId: () => v.id,
      needs: (key) => key.startsWith(v.keyPrefix) && !v.store.has(key),
      create: (conn, dialled) => {
        const remote = this.viewers.get(conn.peer)!;
        this.created = new SimLink(remote, dialled, () => this.now, (l) => v.links.closed(l as unknown as PeerLink));
        return this.created as unknown as PeerLink;
      },
      now: () => this.now,
    });
    v.selection = new PeerSelection(v.links as unknown as Iterable<SimLink>, () => this.rng.next());
    this.viewers.set(id, v);
    if (this.inWindow(now)) this.c.connects++;
    this.swarmsSeen.add(v.swarm);
    // the session ends after its length (VOD: at the title's end too, see deliver)
    this.q.at(now + this.rng.exponential(o.meanSessionSec * 1000), () => this.leave(v));
    // joins wait for the player to start, at most peerJoinMaxDelayMs
    this.q.at(now + RULES.peerJoinMaxDelayMs, () => this.release(v));
    this.request(v);
  }

  private leave(v: Viewer): void {
    if (!v.alive) return;
    v.alive = false;
    this.viewers.delete(v.id);
    if (this.inWindow(this.now)) this.c.disconnects++;
    // its signalling socket closes: the server forgets it in every swarm
    this.tracker.remove(v.id);
    for (const l of [...v.links.values()]) (l as unknown as SimLink).close();
    // peers waiting for its HTTP download go to the origin themselves
    for (const inf of v.inflight.values()) for (const w of inf.waiters) this.http(w.req, this.now);
    v.inflight.clear();
    const pending = this.waiting.get(v.id);
    if (pending) this.waiting.delete(v.id);
  }

  /** The player started (or peerJoinMaxDelayMs passed): the swarm is joined, and refreshed every trackerRefreshMs. */
  private release(v: Viewer): void {
    if (!v.alive || v.released) return;
    v.released = true;
    this.discover(v);
    const refresh = (): void => {
      if (!v.alive) return;
      this.discover(v);
      this.q.at(this.now + RULES.trackerRefreshMs, refresh);
    };
    this.q.at(this.now + this.rng.next() * RULES.trackerRefreshMs, refresh);
  }

  /** client/peer/Discovery.ts discover: asks while a slot is free or an idle link could make way; dials a few. */
  private discover(v: Viewer): void {
    const room = v.links.room();
    const canTake = room > 0 || v.links.canReplace();
    if (!canTake) return;
    const peers = this.tracker.join(v.id, v.swarm, RULES.wantFor(room));
    if (this.inWindow(this.now)) {
      this.c.trackerJoins++;
      if (peers.length > 0) this.c.trackerJoinsWithPeers++;
    }
    let dialled = 0;
    for (const remote of peers) {
      if (dialled >= RULES.dialsPerRound) break;
      const offered = this.offer(v, remote);
      if (offered === 'full') break;
      if (offered === 'dialled') dialled++;
    }
  }

  /** client/PeerPool.ts offer: skip known, unreachable and replaced peers; make room; dial. */
  private offer(v: Viewer, remoteId: string): 'dialled' | 'skipped' | 'full' {
    if (v.links.has(remoteId)) return 'skipped';
    const until = v.unreachable.get(remoteId);
    if ((until !== undefined && until > this.now) || v.links.wasReplaced(remoteId)) return 'skipped';
    const remote = this.viewers.get(remoteId);
    if (!remote) return 'skipped';
    if (!v.links.makeRoom()) return 'full';
    v.links.add({ peer: remoteId, close: () => undefined } as never, true);
    const mine = this.created as SimLink;
    this.dial(v, remote, mine);
    return 'dialled';
  }

  private dial(v: Viewer, remote: Viewer, mine: SimLink): void {
    const o = this.o;
    const counted = this.inWindow(this.now);
    const handshake = this.rng.between(o.handshakeMs[0], o.handshakeMs[1]);
    const fails = this.rng.next() < o.dialFailShare;
    if (counted) {
      this.c.dials++;
      this.c.signallingMessages += 1 + o.candidatesPerSide; // offer + the dialler's candidates
    }
    // the offer reaches the callee: PeerJS hands it the connection, which it keeps if a slot is free
    this.q.at(this.now + handshake / 2, () => {
      if (mine.closed || !v.alive) return;
      if (!remote.alive || remote.links.has(v.id) || !remote.links.roomForInbound()) {
        if (counted) {
          this.c.dialsRefused++;
          this.c.signallingMessages += 1; // PeerJS answers the offer before the page closes the connection
        }
        this.giveUp(v, mine, remote.id);
        return;
      }
      remote.links.add({ peer: v.id, close: () => undefined } as never, false);
      const theirs = this.created as SimLink;
      mine.other = theirs;
      theirs.other = mine;
      if (counted) this.c.signallingMessages += 1 + o.candidatesPerSide; // answer + the callee's candidates
      if (fails) {
        this.q.at(this.now + RULES.openDeadlineMs, () => {
          if (counted) this.c.dialsFailed++;
          if (!mine.closed) mine.close();
          v.links.closed(mine as unknown as PeerLink);
          if (v.alive) v.unreachable.set(remote.id, this.now + RULES.unreachableMs);
        });
        return;
      }
      this.q.at(this.now + handshake / 2, () => {
        if (mine.closed || theirs.closed) return;
        mine.isOpen = theirs.isOpen = true;
        mine.touch();
        if (counted) this.c.dialsOpened++;
      });
    });
  }

  private giveUp(v: Viewer, mine: SimLink, remoteId: string): void {
    mine.close();
    v.links.closed(mine as unknown as PeerLink);
    v.unreachable.set(remoteId, this.now + RULES.unreachableMs);
  }

  // ---- playback ----

  /** A segment's key, one string per segment (Map lookups then hash it once). */
  private keyOf(v: Viewer, k: number): string {
    let keys = this.keys.get(v.keyPrefix);
    if (!keys) this.keys.set(v.keyPrefix, (keys = new Map()));
    let key = keys.get(k);
    if (key === undefined) keys.set(k, (key = `${v.keyPrefix}${k}`));
    return key;
  }

  /** Seconds buffered ahead of the playhead; 0 before playback started (client/urgency.ts then says starving). */
  private bufferAhead(v: Viewer, t: number): number {
    if (!v.started) return 0;
    const pos = v.mediaStartSec + (t - v.playStartAt - v.stalledMs) / 1000;
    return Math.max(0, v.bufferedEndSec - pos);
  }

  /** The player asks for segment v.next now. */
  private request(v: Viewer): void {
    if (!v.alive) return;
    const now = this.now;
    const key = this.keyOf(v, v.next);
    const req: Request = {
      v, k: v.next, key, bytes: v.segBytes, at: now, deadline: now, starving: true, tried: new Set(), done: false, waiting: false, sending: false,
    };
    if (v.store.has(key)) return this.deliver(req, 'cache', now);
    const httpMs = this.o.httpTtfbMs + v.segBytes / v.downBpms;
    const budget = budgetFor(this.bufferAhead(v, now), RULES.urgentBufferSec, RULES.workerBudgetMs, httpMs);
    req.deadline = now + budget.budgetMs;
    req.starving = budget.starving;
    this.tryPeers(req, now);
  }

  /** client/SegmentResolver.ts: up to MAX_PEER_TRIES peers that hold it, then (a fed player) a fetcher or the elected one. */
  private tryPeers(req: Request, t: number): void {
    const { v, key } = req;
    while (req.tried.size < RULES.maxPeerTries) {
      if (req.deadline - t <= 0) break;
      const link = v.selection.linkFor(key, req.tried);
      if (!link) break;
      if (req.starving && link.throughput === 0) break;
      req.tried.add(link.remoteId);
      if (this.askPeer(req, link, t, req.deadline - t)) return;
      t += this.o.peerRttMs; // an `absent` answer
    }
    if (req.starving) return this.http(req, t);
    this.awaitFetcher(req, t);
  }

  /**
   * Asks the peer that holds it: refused (client/peer/Uploads.ts) when its uplink would carry it later than
   * WITHIN_SHARE of our deadline; else queued on its uplink.
   */
  private askPeer(req: Request, link: SimLink, t: number, within: number): boolean {
    const holder = this.viewers.get(link.remoteId);
    if (!holder || !holder.store.has(req.key)) return false;
    const sendMs = req.bytes / holder.upBpms;
    const queued = Math.max(0, holder.upFreeAt - t);
    if (queued + sendMs > RULES.uploadWithinShare * within) return false;
    this.send(req, link, holder, t);
    return true;
  }

  private send(req: Request, link: SimLink, holder: Viewer, t: number): void {
    const sendMs = req.bytes / holder.upBpms;
    req.sending = true;
    holder.upFreeAt = Math.max(t, holder.upFreeAt) + sendMs;
    const end = Math.max(holder.upFreeAt, t + req.bytes / req.v.downBpms) + this.o.peerRttMs;
    link.activeDownloads++;
    link.touch();
    const start = t;
    // our fromPeer gives up at the deadline (the uplink may still be sending: its time is spent either way)
    const failAt = Math.min(end, req.deadline);
    this.q.at(failAt, () => {
      link.activeDownloads = Math.max(0, link.activeDownloads - 1);
      if (req.done || !req.v.alive) return;
      if (end > req.deadline || !holder.alive || link.closed) {
        if (end > req.deadline) link.throughput = 0;
        return this.http(req, this.now);
      }
      link.throughput = req.bytes / Math.max(1, end - start);
      link.touch();
      this.put(req.v, req.key, req.bytes);
      this.deliver(req, 'p2p', this.now);
    });
  }

  /** A peer downloading it now, or the elected one about to: waited for while the buffer allows. */
  private awaitFetcher(req: Request, t: number): void {
    const { v, key } = req;
    if (req.done || !v.alive) return;
    const holder = v.selection.linkFor(key, req.tried);
    if (holder) {
      req.tried.add(holder.remoteId);
      if (this.askPeer(req, holder, t, req.deadline - t)) return;
      return this.http(req, t + this.o.peerRttMs);
    }
    const fetcher = v.selection.fetchersOf(key).find((l) => !req.tried.has(l.remoteId));
    if (fetcher) {
      req.tried.add(fetcher.remoteId);
      const u = this.viewers.get(fetcher.remoteId);
      const inf = u?.inflight.get(key);
      const within = req.deadline - t;
      if (u && inf && Math.max(0, u.upFreeAt - t) <= RULES.uploadWithinShare * within) {
        inf.waiters.push({ req, within });
        // our fromPeer gives up at the deadline if the fetcher's download has not turned into an upload by then
        this.q.at(req.deadline, () => {
          if (!req.done && !req.sending) this.http(req, this.now);
        });
        return;
      }
      return this.http(req, t + this.o.peerRttMs);
    }
    if (!req.waiting) {
      // the swarm as this viewer sees it: wait for its elected member, unless that is itself
      const members = [v.id];
      for (const l of v.links.values()) if ((l as unknown as SimLink).isOpen) members.push(l.remoteId);
      const elected = members.length > 1 ? electFetcher(key, members) : null;
      const live = this.o.mode === 'live';
      const worthIt = elected !== null && elected !== v.id && (live || this.electedNear(elected, req));
      const waitUntil = Math.min(req.deadline, t + (worthIt ? (live ? RULES.liveElectionWaitMs : RULES.vodElectionWaitMs) : 0));
      if (waitUntil > t) {
        req.waiting = true;
        this.waiting.set(v.id, req);
        this.q.at(waitUntil, () => {
          if (this.waiting.get(v.id) !== req) return;
          this.waiting.delete(v.id);
          this.http(req, this.now);
        });
        return;
      }
    }
    this.http(req, t);
  }

  /** VOD: the elected peer holds or fetches one of the segments right before this one (SegmentResolver.electedNear). */
  private electedNear(elected: string, req: Request): boolean {
    const u = this.viewers.get(elected);
    if (!u) return false;
    for (let i = 1; i <= RULES.electedNearSegments; i++) {
      const k = this.keyOf(req.v, req.k - i);
      if (u.store.has(k) || u.inflight.has(k)) return true;
    }
    return req.k < RULES.electedNearSegments;
  }

  /** `u` now fetches or holds `key`: its linked viewers waiting for a fetcher of it stop waiting. */
  private news(u: Viewer, key: string): void {
    if (this.waiting.size === 0) return;
    for (const l of u.links.values()) {
      const w = this.waiting.get(l.remoteId);
      if (!w || w.key !== key || !(l as unknown as SimLink).isOpen) continue;
      this.waiting.delete(l.remoteId);
      const t = this.now;
      this.q.at(t, () => this.awaitFetcher(w, t));
    }
  }

  /** Over HTTP from the origin; peers see it as fetching meanwhile. */
  private http(req: Request, t: number): void {
    if (req.done || !req.v.alive) return;
    const { v, key } = req;
    if (v.inflight.has(key)) return; // already on its way (the same request)
    const inf: Inflight = { waiters: [] };
    v.inflight.set(key, inf);
    this.q.at(t, () => this.news(v, key));
    const doneAt = t + this.o.httpTtfbMs + req.bytes / v.downBpms;
    this.q.at(doneAt, () => {
      if (!v.alive) return;
      v.inflight.delete(key);
      this.put(v, key, req.bytes);
      if (this.inWindow(req.at)) this.c.httpBytes += req.bytes;
      this.deliver(req, 'http', this.now);
      // peers that waited for it: served if the uplink carries it within their deadline (client/peer/Uploads.ts)
      for (const w of inf.waiters) {
        if (w.req.done || !w.req.v.alive || w.req.sending || w.req.v.inflight.has(w.req.key)) continue;
        const link = w.req.v.links.get(v.id) as unknown as SimLink | undefined;
        const queued = Math.max(0, v.upFreeAt - this.now);
        if (!link || link.closed || queued + req.bytes / v.upBpms > RULES.uploadWithinShare * w.within) {
          this.http(w.req, this.now + this.o.peerRttMs);
        } else {
          this.send(w.req, link, v, this.now);
        }
      }
    });
  }

  private put(v: Viewer, key: string, bytes: number): void {
    if (v.store.has(key)) return;
    v.store.set(key, bytes);
    v.storeBytes += bytes;
    for (const [k, b] of v.store) {
      if (v.storeBytes <= RULES.storeMaxBytes) break;
      v.store.delete(k);
      v.storeBytes -= b;
    }
    this.news(v, key);
  }

  private deliver(req: Request, source: 'http' | 'p2p' | 'cache', t: number): void {
    if (req.done) return;
    req.done = true;
    const { v } = req;
    if (!v.alive) return;
    if (this.inWindow(req.at)) {
      this.c.segmentsPlayed++;
      this.c.playedBytes += req.bytes;
      if (source === 'p2p') this.c.p2pBytes += req.bytes;
      this.unique.set(req.key, req.bytes);
    }
    // the playhead: starts with the first segment; a segment that arrives after the buffer ran dry stalled it
    if (!v.started) {
      v.started = true;
      v.playStartAt = t;
      this.q.at(t, () => this.release(v));
    } else {
      const dryAt = v.playStartAt + v.stalledMs + (v.bufferedEndSec - v.mediaStartSec) * 1000;
      if (t > dryAt) {
        v.stalledMs += t - dryAt;
        if (this.inWindow(t)) this.c.stallMs += t - Math.max(dryAt, this.windowStart);
      }
    }
    v.bufferedEndSec += v.segSec;
    v.next = req.k + 1;
    if (v.next > v.lastIndex) {
      // the title ended: the viewer leaves when its buffer has played out
      this.q.at(t + this.bufferAhead(v, t) * 1000, () => this.leave(v));
      return;
    }
    let at = t;
    if (this.o.mode === 'live') {
      // segment n is complete at (n + 1) × duration; this player sees it at its next playlist refresh
      at = Math.max(t, (v.next + 1) * v.segSec * 1000 - LIVE_ON_AIR_MS + v.phaseMs);
    } else {
      // hls.js loads the next segment once the buffer is below maxBufferLength less one segment
      const pos = (x: number) => v.mediaStartSec + (x - v.playStartAt - v.stalledMs) / 1000;
      const ahead = v.bufferedEndSec - pos(t);
      const room = RULES.vodMaxBufferSec - v.segSec;
      if (ahead > room) at = t + (ahead - room) * 1000;
    }
    this.q.at(at, () => this.request(v));
  }
}
