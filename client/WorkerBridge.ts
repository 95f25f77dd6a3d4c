import { expose } from 'comlink';
import {
  CONTRACT_VERSION,
  isWorkerToPageMessage,
  type AgentApi,
  type ClaimMessage,
  type PortMessage,
  type SeedMessage,
} from '../core/contract';
import type { SwarmfetchConfig } from '../core/config';
import { swConfigToParams } from '../core/mergeConfig';

/**
 * The page side of the service worker handshake: registers the worker (its config in the script URL), and hands
 * it a fresh Comlink port to the agent whenever it controls the page or asks for one (after a restart).
 */
export class WorkerBridge {
  private port: MessagePort | null = null;
  private destroyed = false;

  constructor(
    private readonly config: Readonly<SwarmfetchConfig>,
    private readonly agent: AgentApi,
    private readonly container: ServiceWorkerContainer,
    private readonly pageUrl: string,
    /** The worker asked for a new port: it was restarted (or dropped ours), and whatever it was doing for us died. */
    private readonly onWorkerLost: () => void = () => {},
  ) {}

  /** Whether a service worker controls this page (its segment requests go through swarmfetch). */
  get controlled(): boolean {
    return !!this.container.controller;
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
    const message: SeedMessage = { type: 'swarmfetch:seed', version: CONTRACT_VERSION, url };
    this.container.controller?.postMessage(message);
  }

  destroy(): void {
    this.destroyed = true;
    this.container.removeEventListener('message', this.onMessage);
    this.container.removeEventListener('controllerchange', this.onControllerChange);
    this.port?.close();
    this.port = null;
  }

  private sendPort(worker: ServiceWorker): void {
    if (this.destroyed) return;
    const channel = new MessageChannel();
    expose(this.agent, channel.port1);
    this.port?.close();
    this.port = channel.port1;
    const message: PortMessage = { type: 'swarmfetch:port', version: CONTRACT_VERSION, port: channel.port2 };
    worker.postMessage(message, [channel.port2]);
  }

  private readonly onMessage = (event: MessageEvent): void => {
    if (!isWorkerToPageMessage(event.data) || this.destroyed) return;
    this.onWorkerLost();
    const source = event.source;
    if (source && 'postMessage' in source && 'scriptURL' in source) this.sendPort(source as ServiceWorker);
    else if (this.container.controller) this.sendPort(this.container.controller);
  };

  private readonly onControllerChange = (): void => {
    if (this.container.controller) this.sendPort(this.container.controller);
  };
}
