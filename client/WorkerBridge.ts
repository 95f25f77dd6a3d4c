import { expose } from 'comlink';
import {
  CONTRACT_VERSION,
  contractVersionOf,
  isWorkerToPageMessage,
  swConfigToParams,
  type AgentApi,
  type ClaimMessage,
  type DirectMessage,
  type PortMessage,
  type SeedMessage,
  type WorkerError,
} from '../core/contract';
import type { SwarmfetchConfig } from '../core/config';
import { isErrorCode } from '../core/SwarmError';

const MAX_ERROR_CHARS = 300;

/**
 * The page side of the service worker handshake: registers the worker (its config in the script URL), and hands
 * it a fresh Comlink port to the agent whenever it controls the page or asks for one (after a restart).
 *
 * It also keeps the contract's versions apart: a worker that speaks another contract version (its messages say so,
 * or its `hello` does) gets no port and no seeding request, the page counts as not controlled while it is in
 * charge, and the page hears it once, as a `contract-mismatch` error through the agent's `workerError`. The
 * worker's own `workerError` reports reach the agent the same way, checked.
 */
export class WorkerBridge {
  private port: MessagePort | null = null;
  private destroyed = false;
  /** A worker found to speak another contract version (told once; not talked to again); undefined: none. */
  private mismatched: ServiceWorker | null | undefined = undefined;
  /** What the worker is to hear of the agent's `direct` (DirectMessage): sent on change and after every port. */
  private directOn = false;

  constructor(
    private readonly config: Readonly<SwarmfetchConfig>,
    private readonly agent: AgentApi,
    private readonly container: ServiceWorkerContainer,
    private readonly pageUrl: string,
    /** The worker asked for a new port: it was restarted (or dropped ours), and whatever it was doing for us died. */
    private readonly onWorkerLost: () => void = () => {},
    /** A worker of this contract version said hello on a new port: it serves this page from now on. */
    private readonly onServed: () => void = () => {},
  ) {}

  /** Whether a service worker of this contract version controls this page (its segments go through swarmfetch). */
  get controlled(): boolean {
    const controller = this.container.controller;
    return !!controller && controller !== this.mismatched;
  }

  /**
   * Registers the worker (unless `registerServiceWorker` is false) and connects to the one that controls the page.
   * Rejects when registration fails (the page then plays as is).
   */
  async start(): Promise<void> {
    this.container.addEventListener('message', this.onMessage);
    this.container.addEventListener('controllerchange', this.onControllerChange);
    this.container.startMessages();
    const registration = this.config.registerServiceWorker
      ? await this.register()
      : // the site registers its own worker (which imports swarmfetch's); none yet: controllerchange tells us
        await this.container.getRegistration();
    if (this.destroyed) return;
    if (this.container.controller) {
      this.sendPort(this.container.controller);
    } else {
      // First visit: the worker claims the page once active (controllerchange). Shift-reload: the worker is
      // active but the page uncontrolled; ask it to claim us.
      const worker = registration?.active;
      if (worker) {
        const claim: ClaimMessage = { type: 'swarmfetch:claim', version: CONTRACT_VERSION };
        worker.postMessage(claim);
      }
    }
  }

  private register(): Promise<ServiceWorkerRegistration> {
    const url = new URL(this.config.swUrl, this.pageUrl);
    swConfigToParams(this.config).forEach((value, key) => url.searchParams.set(key, value));
    return this.container.register(url.href, this.config.swScope ? { scope: this.config.swScope } : undefined);
  }

  /** Asks the controlling worker to download a segment into this page's store. */
  seed(url: string): void {
    const controller = this.container.controller;
    if (!controller || controller === this.mismatched) return;
    const message: SeedMessage = { type: 'swarmfetch:seed', version: CONTRACT_VERSION, url };
    controller.postMessage(message);
  }

  /**
   * Tells the controlling worker whether the agent would answer every segment request with a `no-peer` miss at once
   * (see Agent.direct); it is told again after every port, as a new port starts without it.
   */
  direct(on: boolean): void {
    if (on === this.directOn) return;
    this.directOn = on;
    const controller = this.container.controller;
    if (controller && this.port) this.sendDirect(controller);
  }

  destroy(): void {
    this.destroyed = true;
    this.container.removeEventListener('message', this.onMessage);
    this.container.removeEventListener('controllerchange', this.onControllerChange);
    this.port?.close();
    this.port = null;
  }

  private sendPort(worker: ServiceWorker): void {
    if (this.destroyed || worker === this.mismatched) return;
    const channel = new MessageChannel();
    // Only the contract's methods cross the port; hello and workerError are answered here. A worker found to speak
    // another version keeps the port until the next one (its hello gets its answer) but is not served.
    const serves = () => worker !== this.mismatched;
    const exposed: Required<AgentApi> = {
      hello: (version) => {
        if (version !== CONTRACT_VERSION) this.mismatch(worker, version);
        else if (serves() && !this.destroyed) this.onServed();
        return { version: CONTRACT_VERSION };
      },
      getSegment: async (query) => (serves() ? this.agent.getSegment(query) : { kind: 'miss', reason: 'contract-mismatch' }),
      putSegment: (put) => (serves() ? this.agent.putSegment(put) : undefined),
      report: (report) => (serves() ? this.agent.report(report) : undefined),
      manifestText: (manifest) => (serves() ? this.agent.manifestText(manifest) : undefined),
      workerError: (error) => (serves() ? this.workerError(error) : undefined),
    };
    expose(exposed, channel.port1);
    this.port?.close();
    this.port = channel.port1;
    const message: PortMessage = { type: 'swarmfetch:port', version: CONTRACT_VERSION, port: channel.port2 };
    worker.postMessage(message, [channel.port2]);
    if (this.directOn) this.sendDirect(worker);
  }

  private sendDirect(worker: ServiceWorker): void {
    if (this.destroyed || worker === this.mismatched) return;
    const message: DirectMessage = { type: 'swarmfetch:direct', version: CONTRACT_VERSION, on: this.directOn };
    worker.postMessage(message);
  }

  /** A worker speaking another contract version: not talked to again, and the page hears it once. */
  private mismatch(worker: ServiceWorker | null, workerVersion: number): void {
    if (this.destroyed || worker === this.mismatched) return;
    this.mismatched = worker;
    const why =
      workerVersion === CONTRACT_VERSION
        ? `cannot talk to this page (contract version ${CONTRACT_VERSION})`
        : `speaks contract version ${workerVersion} and this page ${CONTRACT_VERSION}`;
    this.tell({
      code: 'contract-mismatch',
      message:
        `the service worker ${why}: segments go to the network until a worker of this release takes over`,
    });
  }

  /** A failure the worker reports: checked (it came across the port), then passed to the agent. */
  private workerError(error: WorkerError): void {
    const { code, message } = (error ?? {}) as Partial<WorkerError>;
    if (!isErrorCode(code) || typeof message !== 'string') return;
    this.tell({ code, message: message.slice(0, MAX_ERROR_CHARS) });
  }

  private tell(error: WorkerError): void {
    try {
      this.agent.workerError?.(error);
    } catch {
      // a listener never breaks the bridge
    }
  }

  private readonly onMessage = (event: MessageEvent): void => {
    if (this.destroyed) return;
    const version = contractVersionOf(event.data);
    if (version === null) return; // not the worker's
    const source = event.source;
    const worker = source && 'postMessage' in source && 'scriptURL' in source ? (source as ServiceWorker) : this.container.controller;
    if (version !== CONTRACT_VERSION || (event.data as { type: string }).type === 'swarmfetch:version-mismatch') {
      this.mismatch(worker, version);
      return;
    }
    if (!isWorkerToPageMessage(event.data) || (worker && worker === this.mismatched)) return;
    this.onWorkerLost();
    if (worker) this.sendPort(worker);
  };

  private readonly onControllerChange = (): void => {
    if (this.container.controller) this.sendPort(this.container.controller);
  };
}
