import { describe, expect, it, vi } from 'vitest';
import { WorkerBridge } from '../../client/WorkerBridge';
import { mergeConfig } from '../../core/mergeConfig';
import type { AgentApi } from '../../core/contract';

const agent: AgentApi = {
  hello: () => ({ version: 1 }),
  getSegment: async () => ({ kind: 'miss' }) as never,
  putSegment: () => undefined,
  report: () => undefined,
  manifestText: () => undefined,
};

/** A ServiceWorkerContainer with a controlling worker (or none) and a registration the site made (or none). */
function fakeContainer(controlled: boolean, registration: { active: { postMessage: ReturnType<typeof vi.fn> } } | undefined) {
  const controller = controlled ? { postMessage: vi.fn() } : null;
  const container = {
    controller,
    register: vi.fn(async () => ({ active: null })),
    getRegistration: vi.fn(async () => registration),
    startMessages: vi.fn(),
    addEventListener: vi.fn(),
    removeEventListener: vi.fn(),
  };
  return { container: container as unknown as ServiceWorkerContainer, raw: container, controller };
}

describe('WorkerBridge', () => {
  it('registers swUrl with the worker options in its query by default', async () => {
    const { container, raw } = fakeContainer(false, undefined);
    const bridge = new WorkerBridge(mergeConfig({ p2pTimeoutMs: 1500 }), agent, container, 'http://site.test/watch');
    await bridge.start();
    expect(raw.register).toHaveBeenCalledWith('http://site.test/swarmfetch-sw.js?p2pTimeoutMs=1500', undefined);
    bridge.destroy();
  });

  it('with registerServiceWorker: false, registers nothing and talks to the site\'s worker that controls the page', async () => {
    const { container, raw, controller } = fakeContainer(true, undefined);
    const bridge = new WorkerBridge(mergeConfig({ registerServiceWorker: 'false' }), agent, container, 'http://site.test/');
    await bridge.start();
    expect(raw.register).not.toHaveBeenCalled();
    expect(controller!.postMessage).toHaveBeenCalledWith(expect.objectContaining({ type: 'swarmfetch:port' }), [expect.anything()]);
    bridge.destroy();
  });

  it('with registerServiceWorker: false and an uncontrolled page, asks the site\'s active worker to claim it', async () => {
    const active = { postMessage: vi.fn() };
    const { container, raw } = fakeContainer(false, { active });
    const bridge = new WorkerBridge(mergeConfig({ registerServiceWorker: false }), agent, container, 'http://site.test/');
    await bridge.start();
    expect(raw.register).not.toHaveBeenCalled();
    expect(active.postMessage).toHaveBeenCalledWith(expect.objectContaining({ type: 'swarmfetch:claim' }));
    bridge.destroy();
  });
});
