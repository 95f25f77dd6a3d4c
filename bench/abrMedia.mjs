// The ABR stream of scenario vod-abr (/media/abr/master.m3u8 = demo/media/abr), made on demand: not committed.
// scripts/make-abr-media.sh does the work and the caching (nothing to do when demo/media/abr is complete and made
// by the scripts as they are now; made in a temporary directory and renamed, so an interrupted run leaves nothing
// that looks complete). It needs ffmpeg with libx264 and the built server CLI (npm run build), and says so.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './servers.mjs';

/** Makes demo/media/abr unless it is up to date (its output goes to stderr); throws with the reason if it cannot. */
export function ensureAbrMedia() {
  const script = join(REPO_ROOT, 'scripts/make-abr-media.sh');
  // stdout to stderr: with --json, stdout holds only the JSON document
  const r = spawnSync('sh', [script], { cwd: REPO_ROOT, stdio: ['ignore', 2, 2] });
  if (r.error) throw new Error(`cannot run ${script}: ${r.error.message}`);
  if (r.status !== 0) {
    throw new Error(`scenario vod-abr needs the ABR stream demo/media/abr, and scripts/make-abr-media.sh failed ` +
      `(${r.signal ?? `exit code ${r.status}`}; its message is above)`);
  }
}
