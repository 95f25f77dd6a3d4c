import { wrap, releaseProxy, type Remote } from 'comlink';
import { CONTRACT_VERSION, type AgentApi, type NeedPortMessage } from '../core/contract';

/** The part of `self.clients` this needs (injected for tests). */
export interface ClientsLike {
  get(id: string): Promise<{ postMessage(message: unknown): void } | undefined>;
}

const MAX_PORTS = 64;

/**
 * One Comlink proxy per page (client id). Holds nothing it cannot rebuild: when it has no port for a client
 * (first request, or after the browser restarted the worker) it asks the page for one and waits a bounded time.
 */
export class AgentPorts {
  private agents = new Map<string, Remote<AgentApi>>();
  private waiters = new Map<string, Set<(agent: Remote<AgentApi> | null) => void>>();

  constructor(private readonly clients: ClientsLike) {}

  get size(): number {
    return this.agents.size;
  }

  /** Registers the port a page posted; resolves anyone waiting for it. */
  set(clientId: string, port: MessagePort): void {
    this.drop(clientId);
    if (this.agents.size >= MAX_PORTS) {
      const oldest = this.agents.keys().next().value;
      if (oldest !== undefined) this.drop(oldest);
    }
    const agent = wrap<AgentApi>(port);
    this.agents.set(clientId, agent);
    const waiting = this.waiters.get(clientId);
    this.waiters.delete(clientId);
    waiting?.forEach((resolve) => resolve(agent));
  }

  /** Forgets a page's port (it closed, or stopped answering). */
  drop(clientId: string): void {
    const agent = this.agents.get(clientId);
    if (!agent) return;
    this.agents.delete(clientId);
    try {
      agent[releaseProxy]();
    } catch {
      // a dead port cannot be released; nothing to do
    }
  }

  /** The page's agent, or null when it has none within `waitMs`. Never waits longer. */
  async get(clientId: string, waitMs: number): Promise<Remote<AgentApi> | null> {
    const known = this.agents.get(clientId);
    if (known) return known;
    if (!clientId || waitMs <= 0) return null;
    return new Promise((resolve) => {
      let set = this.waiters.get(clientId);
      if (!set) this.waiters.set(clientId, (set = new Set()));
      const waiter = (agent: Remote<AgentApi> | null) => {
        clearTimeout(timer);
        set!.delete(waiter);
        if (set!.size === 0 && this.waiters.get(clientId) === set) this.waiters.delete(clientId);
        resolve(agent);
      };
      const timer = setTimeout(() => waiter(null), waitMs);
      set.add(waiter);
      if (set.size === 1) this.askForPort(clientId, () => waiter(null));
    });
  }

  /** Releases every proxy. */
  destroy(): void {
    for (const id of [...this.agents.keys()]) this.drop(id);
    for (const set of this.waiters.values()) set.forEach((w) => w(null));
    this.waiters.clear();
  }

  private askForPort(clientId: string, onGone: () => void): void {
    const message: NeedPortMessage = { type: 'swarmfetch:need-port', version: CONTRACT_VERSION };
    this.clients.get(clientId).then(
      (client) => (client ? client.postMessage(message) : onGone()),
      () => onGone(),
    );
  }
}
