/** Whether a segment key belongs to a swarm (keys are URL-based; see segmentKey and swarmId). */
export function keyInSwarm(key: string, swarm: string): boolean {
  const bar = swarm.indexOf('|');
  if (bar < 0) return false;
  const prefix = swarm.slice(bar + 1);
  return key.startsWith(prefix) && !key.slice(prefix.length).includes('/');
}
