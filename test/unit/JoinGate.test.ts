/** client/JoinGate: when the joins held at start go (the player started; the line known, and not the player's). */
import { describe, expect, it } from 'vitest';
import { JoinGate, LINE_WAIT_MS } from '../../client/JoinGate';
import { manualTimers } from './helpers/manualTimers';

function gate(state: { direct: boolean; known: boolean }) {
  const timers = manualTimers();
  let released = 0;
  const g = new JoinGate({
    release: () => void released++,
    paused: () => state.direct,
    paceAwaited: () => !state.known,
    now: timers.now,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
  });
  return { g, advance: (ms: number) => timers.advance(ms), released: () => released, pending: () => timers.pending };
}

describe('JoinGate', () => {
  it('releases once the player has started and the line is known not to be the player\'s; once only', () => {
    const state = { direct: false, known: true };
    const t = gate(state);
    t.g.check();
    expect(t.released()).toBe(0); // the player has not started
    t.g.playerStarted();
    expect(t.released()).toBe(1);
    t.g.check();
    t.g.playerStarted();
    expect(t.released()).toBe(1);
  });

  it('while the line is the player\'s, holds the joins for as long as it is, and releases on the check after', () => {
    const state = { direct: true, known: true };
    const t = gate(state);
    t.g.playerStarted();
    t.advance(10 * LINE_WAIT_MS);
    expect(t.released()).toBe(0);
    expect(t.pending()).toBe(0); // nothing polls: the agent's change calls check()
    state.direct = false;
    t.g.check();
    expect(t.released()).toBe(1);
  });

  it('waits for the line\'s pace (a slow line\'s first load ends after the wait for the player ran out), at most LINE_WAIT_MS', () => {
    const state = { direct: false, known: false };
    const t = gate(state);
    t.g.playerStarted();
    t.advance(3000);
    expect(t.released()).toBe(0);
    // the first load measured: the line is the player's — still held
    state.known = true;
    state.direct = true;
    t.advance(1000);
    expect(t.released()).toBe(0);
    state.direct = false;
    t.g.check();
    expect(t.released()).toBe(1);

    // a pace that never comes (the player's loads never through the worker): the joins go after LINE_WAIT_MS
    const never = gate({ direct: false, known: false });
    never.g.playerStarted();
    never.advance(LINE_WAIT_MS - 300);
    expect(never.released()).toBe(0);
    never.advance(600);
    expect(never.released()).toBe(1);
    expect(never.pending()).toBe(0);
  });

  it('destroy stops the wait: nothing is released after', () => {
    const t = gate({ direct: false, known: false });
    t.g.playerStarted();
    t.g.destroy();
    t.advance(2 * LINE_WAIT_MS);
    t.g.check();
    expect(t.released()).toBe(0);
    expect(t.pending()).toBe(0);
  });
});
