import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Directories walked up at most: server/ in the repository, dist/esm/ or dist/esm/chunks/ in the package. */
const MAX_LEVELS = 5;

/**
 * swarmfetch's version: that of the nearest package.json named `swarmfetch-server` (or the repository root's `swarmfetch`) above `moduleUrl` (this module's own
 * file: `server/` in the repository, `dist/esm/…` in the installed package, which ships package.json at its root);
 * 'unknown' when there is none (bundled into something else).
 */
export function packageVersion(moduleUrl: string = import.meta.url): string {
  let dir: string;
  try {
    dir = dirname(fileURLToPath(moduleUrl));
  } catch {
    return 'unknown';
  }
  for (let level = 0; level <= MAX_LEVELS; level++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if ((pkg.name === 'swarmfetch-server' || pkg.name === 'swarmfetch') && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // none here (or unreadable): look further up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return 'unknown';
}
