import { createHash } from 'node:crypto';
import type { RedisCommands } from './RedisLink';

/**
 * A Lua script run by its SHA-1 (EVALSHA: the text is sent once, not at every call); when Redis does not know it
 * (a restarted Redis, a first call) it is sent whole once (EVAL, which also caches it).
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisCommands, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await redis.evalSha(this.sha, { keys, arguments: args });
    } catch (err) {
      if (!String((err as Error)?.message ?? err).includes('NOSCRIPT')) throw err;
      return redis.eval(this.source, { keys, arguments: args });
    }
  }
}
