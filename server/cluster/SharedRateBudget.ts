import type { ClusterKeys } from './clusterKeys';
import type { RedisLink } from './RedisLink';

/**
 * A client's tracker request budget over every node of a cluster: a counter per client and second in Redis (INCR,
 * expiring after two seconds), so that a client spreading its requests over N nodes behind a load balancer gets
 * `perSec`, not N × `perSec`. Each node's own budget (trackerRateLimit) still runs first and alone while Redis is away
 * (it fails open to it: Redis away never refuses a request).
 */
export class SharedRateBudget {
  constructor(
    private readonly o: { link: Pick<RedisLink, 'run' | 'state'>; keys: ClusterKeys; perSec: number; now?: () => number },
  ) {}

  /** Counts one request of `client`; false when the cluster's count for this second is over `perSec`. */
  async take(client: string): Promise<boolean> {
    if (this.o.link.state !== 'up') return true;
    const key = this.o.keys.rate(client, Math.floor((this.o.now ?? Date.now)() / 1000));
    try {
      const [count] = await this.o.link.run((r) => r.multi().incr(key).pExpire(key, 2_000).exec());
      return Number(count) <= this.o.perSec;
    } catch {
      return true;
    }
  }
}
