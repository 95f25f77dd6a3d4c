import { wrap, releaseProxy, type Remote } from 'comlink';
import { CONTRACT_VERSION, type AgentApi, type NeedPortMessage, type VersionMismatchMessage } from '../core/contract';

/** The part of `self.clients` this needs (injected for tests). */
export interface ClientsLike {
  get(id: string): Promise<{ postMessage(message: unknown): void } | undefined>;
}

export interface AgentPortsOptions {
  /** Deadline of the `hello` the worker says on every port it gets. @default 2000 */
  helloTimeoutMs?: number;
  /** Turns a page's port into its agent (Comlink's `wrap`; injected for tests). */
  connect?(port: MessagePort): Remote<AgentApi>;
}

const MAX_PORTS = 64;
/** Pages of another contract version remembered (they are sent to the network without asking them for a port). */
const MAX_MISMATCHED = 256;

interface Entry {
  agent: Remote<AgentApi>;
  /** The hello's deadline, until it is answered. */
  helloTimer: ReturnType<typeof setTimeout> | null;
  /** The page said its agent answers `no-peer` at once (DirectMessage); false on every new port. */
  direct: boolean;
}

/**
 * One Comlink proxy per page (client id). Holds nothing it cannot rebuild: when it has no port for a client
 * (first request, or after the browser restarted the worker) it asks the page for one and waits a bounded time.
 * On every port it gets it says `hello`: a page that answers with another contract version (or that said another
 * version in a message, see `mismatch`) has its requests sent to the network from then on, and is told so once.
 */
export class AgentPorts {
  private agents = new Map<string, Entry>();
  private waiters = new Map<string, Set<(agent: Remote<AgentApi> | null) => void>>();
  /** Client id → the contract version its page speaks (null: it did not say). */
  private mismatched = new Map<string, number | null>();
  private readonly helloTimeoutMs: number;
  private readonly connect: (port: MessagePort) => Remote<AgentApi>;

  constructor(
    private readonly clients: ClientsLike,
    options: AgentPortsOptions = {},
  ) {
    this.helloTimeoutMs = options.helloTimeoutMs ?? 2000;
    this.connect = options.connect ?? ((port) => wrap<AgentApi>(port));
  }

  get size(): number {
    return this.agents.size;
  }

  /** Registers the port a page posted, resolves anyone waiting for it, and says hello on it. */
  set(clientId: string, port: MessagePort): void {
    this.drop(clientId);
    this.mismatched.delete(clientId);
    if (this.agents.size >= MAX_PORTS) {
      const oldest = this.agents.keys().next().value;
      if (oldest !== undefined) this.drop(oldest);
    }
    const entry: Entry = { agent: this.connect(port), helloTimer: null, direct: false };
    this.agents.set(clientId, entry);
    this.hello(clientId, entry);
    const waiting = this.waiters.get(clientId);
    this.waiters.delete(clientId);
    waiting?.forEach((resolve) => resolve(entry.agent));
  }

  /**
   * The page says whether its agent would answer every segment request with a `no-peer` miss at once (see
   * DirectMessage). Kept with its port: a page without one is asked for a port first, and says it again after.
   */
  setDirect(clientId: string, on: boolean): void {
    const entry = this.agents.get(clientId);
    if (entry) entry.direct = on;
  }

  /** Whether the page's segments go to the network without waiting for its agent's answer (see setDirect). */
  isDirect(clientId: string): boolean {
    return this.agents.get(clientId)?.direct === true;
  }

  /** Forgets a page's port (it closed, or stopped answering). */
  drop(clientId: string): void {
    const entry = this.agents.get(clientId);
    if (!entry) return;
    this.agents.delete(clientId);
    if (entry.helloTimer !== null) clearTimeout(entry.helloTimer);
    try {
      entry.agent[releaseProxy]();
    } catch {
      // a dead port cannot be released; nothing to do
    }
  }

  /** Forgets a page's port when the page is gone (a slow page keeps it). */
  dropIfGone(clientId: string): void {
    this.clients.get(clientId).then(
      (client) => client || this.drop(clientId),
      () => this.drop(clientId),
    );
  }

  /**
   * The page speaks another contract version (`pageVersion`; null when unknown): its port is released, its
   * requests go to the network from now on without asking it for a port, and it is told once.
   */
  mismatch(clientId: string, pageVersion: number | null): void {
    if (!clientId) return;
    this.drop(clientId);
    const waiting = this.waiters.get(clientId);
    this.waiters.delete(clientId);
    waiting?.forEach((resolve) => resolve(null));
    if (this.mismatched.has(clientId)) return;
    if (this.mismatched.size >= MAX_MISMATCHED) this.mismatched.delete(this.mismatched.keys().next().value!);
    this.mismatched.set(clientId, pageVersion);
    const message: VersionMismatchMessage = { type: 'swarmfetch:version-mismatch', version: CONTRACT_VERSION, pageVersion };
    this.clients.get(clientId).then((client) => client?.postMessage(message), () => {});
  }

  /** Whether the page speaks another contract version (its requests go to the network). */
  isMismatched(clientId: string): boolean {
    return this.mismatched.has(clientId);
  }

  /** The page's agent, or null when it has none within `waitMs`. Never waits longer. */
  async get(clientId: string, waitMs: number): Promise<Remote<AgentApi> | null> {
    const known = this.agents.get(clientId);
    if (known) return known.agent;
    if (!clientId || waitMs <= 0 || this.mismatched.has(clientId)) return null;
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

  /**
   * Says hello on a new port. The port is used meanwhile (its page said our version in the message that brought
   * it); an answer of another version (or a hello that throws) is a mismatch. No answer in time: the port is
   * dropped if the page is gone (a late answer is ignored).
   */
  private hello(clientId: string, entry: Entry): void {
    const current = () => this.agents.get(clientId) === entry;
    const done = () => {
      if (entry.helloTimer !== null) clearTimeout(entry.helloTimer);
      entry.helloTimer = null;
    };
    entry.helloTimer = setTimeout(() => {
      entry.helloTimer = null;
      if (current()) this.dropIfGone(clientId);
    }, this.helloTimeoutMs);
    let answer: Promise<{ version: number }>;
    try {
      answer = Promise.resolve(entry.agent.hello(CONTRACT_VERSION));
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer.then(
      (a) => {
        if (entry.helloTimer === null || !current()) return; // too late, or another port since
        done();
        const version = typeof a === 'object' && a !== null && typeof a.version === 'number' ? a.version : null;
        if (version !== CONTRACT_VERSION) this.mismatch(clientId, version);
      },
      () => {
        if (entry.helloTimer === null || !current()) return;
        done();
        this.mismatch(clientId, null);
      },
    );
  }

  private askForPort(clientId: string, onGone: () => void): void {
    const message: NeedPortMessage = { type: 'swarmfetch:need-port', version: CONTRACT_VERSION };
    this.clients.get(clientId).then(
      (client) => (client ? client.postMessage(message) : onGone()),
      () => onGone(),
    );
  }
}
