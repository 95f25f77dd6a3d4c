/** The hello exchange and its open deadline (moved into the handshake from PeerPool with issue 10). Fake timers. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Handshake, OPEN_TIMEOUT_MS, type HandshakeDeps } from '../../client/peer/Handshake';
import { PROTOCOL_VERSION, type ControlMessage } from '../../client/protocol';
import { SwarmError } from '../../core/SwarmError';

const HELLO: ControlMessage = { t: 'hello', v: PROTOCOL_VERSION };

function make(over: Partial<HandshakeDeps> = {}) {
  vi.useFakeTimers();
  const sent: ControlMessage[] = [];
  const log: string[] = [];
  const h = new Handshake({
    dialled: false,
    send: (m) => sent.push(m),
    onHelloSent: () => log.push('hello-sent'),
    onAnsweredLate: () => log.push('answered-late'),
    onOpen: () => log.push('open'),
    onTimeout: (detail) => log.push(`timeout: ${detail}`),
    ...over,
  });
  return { h, sent, log };
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof SwarmError) return err.code;
    throw err;
  }
  return 'no-throw';
}

afterEach(() => vi.useRealTimers());

describe('Handshake, accepting side', () => {
  it('says hello as its channel opens, its haves follow, and it repeats the hello (250 ms, doubling) until answered', async () => {
    const { h, sent, log } = make();
    h.channelOpened();
    expect(sent).toEqual([HELLO]);
    expect(log).toEqual(['hello-sent']);
    await vi.advanceTimersByTimeAsync(249);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // 250
    expect(sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(500); // 750
    expect(sent).toHaveLength(3);
    expect(h.receive(HELLO)).toBe(true);
    // answered after a repeat: what followed the first hello may have been lost with it
    expect(log).toEqual(['hello-sent', 'open', 'answered-late']);
    expect(h.isOpen).toBe(true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(sent).toHaveLength(3); // no more repeats
    expect(log).toEqual(['hello-sent', 'open', 'answered-late']); // and no timeout
  });

  it('answered before any repeat, it does not announce again', async () => {
    const { h, log } = make();
    h.channelOpened();
    await vi.advanceTimersByTimeAsync(100);
    h.receive(HELLO);
    await vi.advanceTimersByTimeAsync(5000);
    expect(log).toEqual(['hello-sent', 'open']);
  });

  it('ignores a repeated hello (up to 8), and refuses a ninth or another version', () => {
    const { h, sent } = make();
    h.channelOpened();
    h.receive(HELLO);
    for (let i = 0; i < 8; i++) expect(h.receive(HELLO)).toBe(true);
    expect(sent).toEqual([HELLO]); // the accepting side does not answer repeats
    expect(codeOf(() => h.receive(HELLO))).toBe('protocol-violation');
    const other = make().h;
    other.channelOpened();
    expect(codeOf(() => other.receive({ t: 'hello', v: PROTOCOL_VERSION + 1 }))).toBe('protocol-violation');
  });
});

describe('Handshake, dialling side', () => {
  it('says nothing until it has heard a hello, then answers it and each repeat', () => {
    const { h, sent, log } = make({ dialled: true });
    h.channelOpened();
    expect(sent).toEqual([]);
    h.receive(HELLO);
    expect(sent).toEqual([HELLO]);
    expect(log).toEqual(['open']); // the dialler announces on open, not with its hello
    h.receive(HELLO);
    expect(sent).toEqual([HELLO, HELLO]);
  });

  it('a hello heard before its channel opened is answered once the channel opens', () => {
    const { h, sent, log } = make({ dialled: true });
    h.receive(HELLO);
    expect(sent).toEqual([]);
    h.channelOpened();
    expect(sent).toEqual([HELLO]);
    expect(log).toEqual(['open']);
  });
});

describe('Handshake before the hello', () => {
  it('lets announcements through (a hello may have been lost), refuses anything else and any frame', () => {
    const { h } = make({ dialled: true });
    expect(h.receive({ t: 'have', swarm: 's', keys: [] })).toBe(false);
    expect(h.receive({ t: 'lost', swarm: 's', keys: [] })).toBe(false);
    expect(h.receive({ t: 'fetching', swarm: 's', keys: [] })).toBe(false);
    expect(codeOf(() => h.receive({ t: 'req', id: 1, key: 'k', waitMs: 0 }))).toBe('protocol-violation');
    expect(codeOf(() => h.receive({ t: 'ping' }))).toBe('protocol-violation');
    expect(codeOf(() => h.checkFrame())).toBe('protocol-violation');
    h.receive(HELLO);
    expect(h.receive({ t: 'req', id: 1, key: 'k', waitMs: 0 })).toBe(false);
    expect(codeOf(() => h.checkFrame())).toBe('no-throw');
  });
});

describe('Handshake deadline', () => {
  it(`times out once when not open ${OPEN_TIMEOUT_MS} ms after the link was made`, async () => {
    const { h, log } = make({ dialled: true });
    h.channelOpened(); // the accepting side never speaks
    await vi.advanceTimersByTimeAsync(OPEN_TIMEOUT_MS - 1);
    expect(log).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(log).toEqual([`timeout: handshake not complete within ${OPEN_TIMEOUT_MS} ms`]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(log).toHaveLength(1);
  });

  it('counts from the making of the link, channel or not, and takes its own deadline', async () => {
    const { log } = make({ openTimeoutMs: 500 });
    await vi.advanceTimersByTimeAsync(500);
    expect(log).toEqual(['timeout: handshake not complete within 500 ms']);
  });

  it('stop() ends repeats and the deadline', async () => {
    const { h, sent, log } = make();
    h.channelOpened();
    h.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(sent).toEqual([HELLO]);
    expect(log).toEqual(['hello-sent']);
    h.receive(HELLO);
    expect(h.isOpen).toBe(false); // stopped: never opens
  });
});
