/**
 * Self-test of the network lab with WebRTC (test/lab/): Chromium viewers in home namespaces behind the lab's NATs
 * connect (or fail to) as they would on the Internet — host candidates alone never cross two NATs, STUN (coturn)
 * punches through two cone NATs, a symmetric NAT needs a TURN relay. A harness test, not a product test:
 *   flock /tmp/swarmfetch-browser.lock bash test/e2e/netns.sh npx vitest run -c vitest.harness.config.ts test/harness/lab-webrtc.harness.test.ts
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoturn, type Coturn } from '../lab/coturn.mjs';
import { createLab, type Lab } from '../lab/lab.mjs';
import { launchLabBrowser } from '../lab/launchLabBrowser.mjs';

// A tiny WebRTC kit driven through page.evaluate (non-trickle: the whole SDP once gathering is complete).
const RTC_PAGE = `<!doctype html><meta charset="utf-8"><title>lab rtc</title><link rel="icon" href="data:,"><script>
function gathered(pc) {
  return new Promise((r) => {
    if (pc.iceGatheringState === 'complete') return r();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r());
  });
}
window.rtc = {
  pc: null, dc: null, got: [],
  async offer(config) {
    this.pc = new RTCPeerConnection(config);
    this.listen(this.dc = this.pc.createDataChannel('lab'));
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await gathered(this.pc);
    return this.pc.localDescription.sdp;
  },
  async answer(config, sdp) {
    this.pc = new RTCPeerConnection(config);
    this.pc.ondatachannel = (e) => this.listen(this.dc = e.channel);
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await gathered(this.pc);
    return this.pc.localDescription.sdp;
  },
  async accept(sdp) { await this.pc.setRemoteDescription({ type: 'answer', sdp }); },
  listen(dc) { dc.onmessage = (e) => this.got.push(e.data); },
  // waits for 'connected' or 'failed' (at most ms), then reports the selected pair's candidate types and addresses
  async outcome(ms) {
    const end = performance.now() + ms;
    while (performance.now() < end && !['connected', 'failed'].includes(this.pc.connectionState)) await new Promise((r) => setTimeout(r, 50));
    const byId = new Map();
    let pair = null;
    (await this.pc.getStats()).forEach((s) => byId.set(s.id, s));
    byId.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = byId.get(s.selectedCandidatePairId); });
    const cand = (id) => { const c = pair && byId.get(id); return c ? c.candidateType + ' ' + c.address : null; };
    return { state: this.pc.connectionState, local: cand(pair?.localCandidateId), remote: cand(pair?.remoteCandidateId) };
  },
  async exchange(text) {
    while (!this.dc || this.dc.readyState !== 'open') await new Promise((r) => setTimeout(r, 20));
    this.dc.send(text);
    while (this.got.length === 0) await new Promise((r) => setTimeout(r, 20));
    return this.got[0];
  },
};
</script>`;

interface Outcome {
  state: string;
  local: string | null;
  remote: string | null;
}
type Config = { iceServers: { urls: string | string[]; username?: string; credential?: string }[] };

let lab: Lab;
let turn: Coturn;
let http: Server;
let origin: string;
const browsers: Browser[] = [];

/** Connects a new page of viewer a's browser with one of viewer b's; resolves both sides' outcomes and pages. */
async function connect(a: number, b: number, config: Config, waitMs: number): Promise<{ outcomes: Outcome[]; pages: Page[] }> {
  const pages = await Promise.all([a, b].map(async (i) => {
    const page = await browsers[i]!.newPage();
    await page.goto(`${origin}/`);
    return page;
  }));
  const [pa, pb] = pages as [Page, Page];
  const offer = await pa.evaluate(`rtc.offer(${JSON.stringify(config)})`);
  const answer = await pb.evaluate(`rtc.answer(${JSON.stringify(config)}, ${JSON.stringify(offer)})`);
  await pa.evaluate(`rtc.accept(${JSON.stringify(answer)})`);
  const outcomes = (await Promise.all(pages.map((p) => p.evaluate(`rtc.outcome(${waitMs})`)))) as Outcome[];
  return { outcomes, pages };
}

beforeAll(async () => {
  lab = await createLab({ viewers: [{ nat: 'cone' }, { nat: 'cone' }, { nat: 'symmetric' }, { nat: 'symmetric' }] });
  http = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(RTC_PAGE));
  http.listen(0, lab.publicAddress);
  await once(http, 'listening');
  origin = `http://${lab.publicAddress}:${(http.address() as AddressInfo).port}`;
  turn = await startCoturn({ address: lab.publicAddress, secret: 'lab-secret' });
  for (const viewer of lab.viewers) browsers.push(await launchLabBrowser({ viewer, secureOrigins: [origin] }));
});

afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => undefined);
  await turn?.stop();
  http?.closeAllConnections();
  http?.close();
  await lab?.destroy();
});

describe('network lab: WebRTC through the NATs', () => {
  it('connects two cone NATs with STUN alone (server-reflexive pair, hole punched) and moves data', async () => {
    const { outcomes, pages } = await connect(0, 1, { iceServers: [{ urls: turn.stunUrl }] }, 10_000);
    expect(outcomes.map((o) => o.state)).toEqual(['connected', 'connected']);
    expect(outcomes[0]).toMatchObject({ local: `srflx ${lab.viewers[0]!.wanAddress}`, remote: `srflx ${lab.viewers[1]!.wanAddress}` });
    expect(await Promise.all(pages.map((p, i) => p.evaluate(`rtc.exchange('from ${i}')`)))).toEqual(['from 1', 'from 0']);
  });

  it('fails where the Internet fails, and a TURN relay gets a symmetric NAT through', async () => {
    // All three at once: a failure takes Chromium ~15 s to declare.
    const [hostOnly, symToCone, relayed] = await Promise.all([
      connect(0, 1, { iceServers: [] }, 30_000), // host candidates are 192.168.1.2 on both sides
      connect(2, 0, { iceServers: [{ urls: turn.stunUrl }] }, 30_000), // symmetric ↔ port-restricted cone
      connect(2, 3, { iceServers: [turn.iceServer('lab-viewer')] }, 30_000), // symmetric ↔ symmetric, with TURN
    ]);
    expect(hostOnly.outcomes.map((o) => o.state)).toEqual(['failed', 'failed']);
    expect(symToCone.outcomes.map((o) => o.state)).toEqual(['failed', 'failed']);
    expect(relayed.outcomes.map((o) => o.state)).toEqual(['connected', 'connected']);
    // at least one side sends through its relay allocation on the lab's public address
    const types = relayed.outcomes.flatMap((o) => [o.local, o.remote]);
    expect(types).toContain(`relay ${lab.publicAddress}`);
    expect(await Promise.all(relayed.pages.map((p, i) => p.evaluate(`rtc.exchange('relayed ${i}')`)))).toEqual(['relayed 1', 'relayed 0']);
  });
});
