import type { SwarmfetchConfig } from '../core/config';
import { Swarmfetch } from './Swarmfetch';
import type { SwarmfetchDeps } from './swarmfetchDeps';

/** Creates and starts swarmfetch in this page. */
export function createSwarmfetch(options: Partial<SwarmfetchConfig> = {}, deps: Partial<SwarmfetchDeps> = {}): Swarmfetch {
  const instance = new Swarmfetch(options, deps);
  void instance.start();
  return instance;
}
