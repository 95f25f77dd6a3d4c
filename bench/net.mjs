// `--net`: the benchmark in the network lab (test/lab/README.md). Each viewer is its own Chromium in its own home
// network behind its own NAT (or none), on a shaped line; the demo server (page, stream, P2P server with its STUN
// responder) and, with --turn, coturn listen on the lab's public address.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCoturn } from '../test/lab/coturn.mjs';
import { createLab } from '../test/lab/lab.mjs';
import { PROFILES, resolveProfile } from '../test/lab/profiles.mjs';

export const NET_PROFILES = [...Object.keys(PROFILES), 'mixed'];
export const NAT_CHOICES = ['cone', 'symmetric', 'none', 'mixed'];

/** The NAT kind of viewer `index` for `--nat`: `mixed` = cone for even indexes (0, 2, 4 …), symmetric for odd. */
export function natOf(choice, index) {
  if (choice === 'mixed') return index % 2 === 0 ? 'cone' : 'symmetric';
  return choice;
}

/** The environment demo/serve.mjs reads to hand pages TURN (createSwarmServer's turnUrls / turnSecret). */
export const TURN_ENV = { url: 'SWARMFETCH_TURN_URL', secret: 'SWARMFETCH_TURN_SECRET' };

/** Whether the demo server under `root` reads TURN_ENV (so --turn can do anything). */
export function demoReadsTurnEnv(root) {
  try {
    const text = readFileSync(join(root, 'demo/serve.mjs'), 'utf8');
    return text.includes(TURN_ENV.url) && text.includes(TURN_ENV.secret) && /turnUrls/.test(text) && /turnSecret/.test(text);
  } catch {
    return false;
  }
}

/**
 * Makes the lab for `viewers` viewers (viewer i: NAT kind natOf(nat, i), line `profile` — `mixed` resolved by the
 * lab per index), and with `turn` starts coturn on its public address. Returns the lab, coturn, what each viewer
 * got, the environment for the demo server, and stop() (coturn, then the lab; safe to call twice).
 * @param {{ viewers: number, profile: string, nat: string, turn: boolean }} o
 */
export async function startNet(o) {
  const specs = Array.from({ length: o.viewers }, (_, i) => ({ nat: natOf(o.nat, i), profile: o.profile }));
  const lab = await createLab({ viewers: specs });
  let coturn = null;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await coturn?.stop().catch(() => undefined);
    await lab.destroy().catch(() => undefined);
  };
  const env = {};
  try {
    if (o.turn) {
      const secret = randomBytes(24).toString('hex');
      // verbose: coturn then logs its TURN sessions (coturnUsage)
      coturn = await startCoturn({ address: lab.publicAddress, secret, verbose: true });
      env[TURN_ENV.url] = coturn.urls.join(',');
      env[TURN_ENV.secret] = secret;
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const viewers = lab.viewers.map((v) => ({
    index: v.index, nat: v.nat, profile: v.profile, downMbit: v.rates.downMbit, upMbit: v.rates.upMbit, wanAddress: v.wanAddress,
  }));
  return {
    lab,
    coturn,
    env,
    stop,
    /** What goes into the JSON and the scenario header. */
    describe: () => ({
      profile: o.profile,
      nat: o.nat,
      turn: !!coturn,
      turnUrls: coturn?.urls ?? null,
      publicAddress: lab.publicAddress,
      viewers,
    }),
  };
}

/** "cable (50/10 Mbit/s)" for a profile name; "mixed" as is. */
export function profileLabel(name) {
  if (name === 'mixed') return 'mixed (per viewer)';
  const p = resolveProfile(name);
  return p.downMbit === null ? `${name} (not shaped)` : `${name} (${p.downMbit}/${p.upMbit} Mbit/s)`;
}

/**
 * What coturn's (verbose) log says so far: TURN sessions seen (allocations, of every page and transport) and how
 * many of them closed. (coturn logs a session's bytes only when it closes, and Chromium does not end its
 * allocations when a context closes — they time out after 10 min — so its byte counts would miss the sessions that
 * carried the data; the relayed bytes come from the pages' stats().)
 */
export function coturnUsage(log) {
  const sessions = new Set();
  let closed = 0;
  for (const line of log.split('\n')) {
    const id = /session (\d+):/.exec(line)?.[1];
    if (!id) continue;
    sessions.add(id);
    if (line.includes('closed (2nd stage)')) closed++;
  }
  return { sessions: sessions.size, closed };
}
