// Shared by scripts/build.mjs (dist/types) and scripts/buildServer.mjs (server/dist/types).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Node's ESM resolution (TypeScript `moduleResolution: node16/nodenext`) wants file extensions in relative
 * imports; the sources use bundler-style ones. Rewrites `'./x'` to `'./x.js'` (or `'./x/index.js'`) in the
 * declarations emitted under `dir`, so `swarmfetch`, `swarmfetch/sw` and `swarmfetch-server` type-check under any
 * resolution.
 */
export function addDeclarationExtensions(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8').replace(
      /(from\s+|import\()(['"])(\.{1,2}\/[^'"]*)\2/g,
      (whole, head, quote, spec) => {
        if (/\.(js|mjs|cjs|json)$/.test(spec)) return whole;
        const target = resolve(dirname(file), spec);
        const withExt = existsSync(`${target}.d.ts`) ? `${spec}.js` : existsSync(join(target, 'index.d.ts')) ? `${spec}/index.js` : null;
        return withExt === null ? whole : `${head}${quote}${withExt}${quote}`;
      },
    );
    writeFileSync(file, text);
  }
}
