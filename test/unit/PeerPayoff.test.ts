/** When asking peers pauses: most of the latest transfers failed on the peers' pace, from more than one peer. */
import { describe, expect, it } from 'vitest';
import { FIRST_PAUSE_MS, MAX_PAUSE_MS, PeerPayoff } from '../../client/PeerPayoff';
import { SwarmError } from '../../core/SwarmError';

function make() {
  let t = 1_000;
  const p = new PeerPayoff(() => t);
  return { p, advance: (ms: number) => void (t += ms) };
}
const stall = () => new SwarmError('peer-stall', 'slow');
const late = () => new SwarmError('peer-timeout', 'late', { received: 1000 });

describe('PeerPayoff', () => {
  it('pauses once 6 of the latest transfers, from two peers, failed on the peers’ pace; resumes after 20 s', () => {
    const { p, advance } = make();
    for (let i = 0; i < 5; i++) p.failed(i % 2 ? 'a' : 'b', i % 2 ? stall() : late());
    expect(p.paused).toBe(false); // 5 judged: not enough to say
    p.failed('a', stall());
    expect(p.paused).toBe(true);
    expect(p.pauseCount).toBe(1);
    advance(FIRST_PAUSE_MS - 1);
    expect(p.paused).toBe(true);
    advance(1);
    expect(p.paused).toBe(false);
  });

  it("a failure of a try shorter than 1 s (a starving player's), timeout or stall, is not judged; a longer one's is", () => {
    const { p } = make();
    for (let i = 0; i < 8; i++) p.failed(i % 2 ? 'a' : 'b', late(), 800);
    for (let i = 0; i < 8; i++) p.failed(i % 2 ? 'a' : 'b', stall(), 800);
    expect(p.paused).toBe(false);
    for (let i = 0; i < 6; i++) p.failed(i % 2 ? 'a' : 'b', stall(), 1000);
    expect(p.paused).toBe(true);
  });

  it("a timeout of a peer whose rate was not known when asked (its first transfer) is not judged; a stall is", () => {
    const { p } = make();
    for (let i = 0; i < 8; i++) p.failed(i % 2 ? 'a' : 'b', late(), 3000, false);
    expect(p.paused).toBe(false);
    for (let i = 0; i < 6; i++) p.failed(i % 2 ? 'a' : 'b', late(), 3000, true);
    expect(p.paused).toBe(true);
    const q = make().p;
    for (let i = 0; i < 6; i++) q.failed(i % 2 ? 'a' : 'b', stall(), 3000, false);
    expect(q.paused).toBe(true);
  });

  it('a prefetch that fails is not judged (nobody waited for it); one that delivers is', async () => {
    const { p } = make();
    const link = (id: string) => ({ remoteId: id, throughput: 50 });
    const fail = (id: string, prefetch: boolean) => p.transfer(link(id), 3000, () => Promise.reject(stall()), prefetch).catch(() => undefined);
    for (let i = 0; i < 12; i++) await fail(i % 2 ? 'a' : 'b', true);
    expect(p.paused).toBe(false);
    // six failed tries of the player's requests pause it…
    for (let i = 0; i < 6; i++) await fail(i % 2 ? 'a' : 'b', false);
    expect(p.paused).toBe(true);
    // …unless prefetches delivered among them: 4 of the latest 8 failed
    const q = make().p;
    for (let i = 0; i < 4; i++) await q.transfer(link('a'), 3000, () => Promise.resolve(1), true);
    for (let i = 0; i < 4; i++) await q.transfer(link(i % 2 ? 'a' : 'b'), 3000, () => Promise.reject(stall()), false).catch(() => undefined);
    expect(q.paused).toBe(false);
  });

  it('one bad peer is its own fault: failures from a single peer never pause, and a banned peer’s are forgotten', () => {
    const { p } = make();
    for (let i = 0; i < 20; i++) p.failed('drip', stall());
    expect(p.paused).toBe(false);
    p.forget('drip'); // banned for its drips
    for (let i = 0; i < 6; i++) p.failed('other', stall());
    expect(p.paused).toBe(false); // six judged, all 'other's
    p.failed('third', stall());
    expect(p.paused).toBe(true);
  });

  it('judges only failures on the peers’ pace: aborts, absent, closed links and integrity refusals say nothing', () => {
    const { p } = make();
    const silent = [
      new SwarmError('peer-timeout', 'request aborted', { aborted: true }),
      new SwarmError('peer-absent', 'no'),
      new SwarmError('peer-closed', 'gone'),
      new SwarmError('integrity-unavailable', 'no hash'),
      new Error('not ours'),
    ];
    for (let i = 0; i < 40; i++) p.failed(i % 2 ? 'a' : 'b', silent[i % silent.length]);
    expect(p.paused).toBe(false);
  });

  it('a window where every other transfer delivered does not pause', () => {
    const { p } = make();
    for (let i = 0; i < 30; i++) {
      if (i % 2 === 0) p.delivered('a');
      else p.failed(i % 4 === 1 ? 'a' : 'b', stall());
    }
    expect(p.paused).toBe(false);
  });

  it('tripping again soon after a pause doubles it, up to 160 s; a good window resets it', () => {
    const { p, advance } = make();
    const trip = () => {
      for (let i = 0; i < 6; i++) p.failed(i % 2 ? 'a' : 'b', stall());
    };
    const pauseLength = () => {
      let ms = 0;
      while (p.paused) {
        advance(1000);
        ms += 1000;
      }
      return ms;
    };
    const lengths: number[] = [];
    for (let i = 0; i < 5; i++) {
      trip();
      lengths.push(pauseLength());
    }
    expect(lengths).toEqual([FIRST_PAUSE_MS, 2 * FIRST_PAUSE_MS, 4 * FIRST_PAUSE_MS, MAX_PAUSE_MS, MAX_PAUSE_MS]);
    for (let i = 0; i < 8; i++) p.delivered(i % 2 ? 'a' : 'b');
    trip();
    expect(pauseLength()).toBe(FIRST_PAUSE_MS);
  });

  it('outcomes of transfers that end during a pause are not judged (asked before it)', () => {
    const { p, advance } = make();
    for (let i = 0; i < 6; i++) p.failed(i % 2 ? 'a' : 'b', stall());
    for (let i = 0; i < 10; i++) p.failed(i % 2 ? 'a' : 'b', stall());
    advance(FIRST_PAUSE_MS);
    expect(p.paused).toBe(false);
    for (let i = 0; i < 5; i++) p.failed(i % 2 ? 'a' : 'b', stall());
    expect(p.paused).toBe(false); // a fresh window: five judged
  });
});
