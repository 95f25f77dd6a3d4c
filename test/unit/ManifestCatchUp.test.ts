import { describe, expect, it } from 'vitest';
import { MAX_CATCH_UP_MANIFESTS, ManifestCatchUp, type LoadedResource } from '../../client/ManifestCatchUp';

const ORIGIN = 'https://site.example';

function setup(loaded: LoadedResource[]) {
  const fetched: string[] = [];
  const cancelled: string[] = [];
  const catchUp = new ManifestCatchUp({
    loaded: () => loaded,
    fetch: async (url) => {
      fetched.push(url);
      return { body: { cancel: async () => void cancelled.push(url) } } as unknown as Response;
    },
  });
  return { catchUp, fetched, cancelled };
}

describe('ManifestCatchUp', () => {
  it('fetches again the manifests the agent did not get, once each, and drops their bodies', async () => {
    const loaded = [
      { name: `${ORIGIN}/vod/master.m3u8` },
      { name: `${ORIGIN}/vod/180p/index.m3u8` },
      { name: `${ORIGIN}/vod/180p/seg_000.ts` },
      { name: `${ORIGIN}/app.js` },
      { name: `${ORIGIN}/dash/stream.mpd?token=1` },
    ];
    const { catchUp, fetched, cancelled } = setup(loaded);
    catchUp.noteRead(`${ORIGIN}/vod/180p/index.m3u8`);
    expect(catchUp.run()).toEqual([`${ORIGIN}/vod/master.m3u8`, `${ORIGIN}/dash/stream.mpd?token=1`]);
    expect(fetched).toEqual([`${ORIGIN}/vod/master.m3u8`, `${ORIGIN}/dash/stream.mpd?token=1`]);
    // again: nothing new
    loaded.push({ name: `${ORIGIN}/vod/360p/index.m3u8` });
    expect(catchUp.run()).toEqual([`${ORIGIN}/vod/360p/index.m3u8`]);
    expect(catchUp.run()).toEqual([]);
    await new Promise((r) => setTimeout(r, 0));
    expect(cancelled).toEqual(fetched);
  });

  it('fetches at most MAX_CATCH_UP_MANIFESTS in all, whatever the page loaded', () => {
    const loaded = Array.from({ length: 40 }, (_, i) => ({ name: `${ORIGIN}/live/${i}.m3u8` }));
    const { catchUp, fetched } = setup(loaded);
    catchUp.run();
    catchUp.run();
    expect(fetched.length).toBe(MAX_CATCH_UP_MANIFESTS);
  });

  it('ignores what is not an http(s) manifest, bad entries and over-long URLs', () => {
    const loaded = [
      null,
      { name: 42 },
      {},
      { name: 'data:application/vnd.apple.mpegurl,#EXTM3U.m3u8' },
      { name: `${ORIGIN}/${'a'.repeat(3000)}.m3u8` },
      { name: `${ORIGIN}/seg.m3u8.ts` },
    ] as unknown as LoadedResource[];
    const { catchUp, fetched } = setup(loaded);
    expect(catchUp.run()).toEqual([]);
    expect(fetched).toEqual([]);
  });

  it('survives a fetch that throws or fails, and entries that cannot be read; does nothing after destroy()', async () => {
    let calls = 0;
    const thrower = new ManifestCatchUp({
      loaded: () => [{ name: `${ORIGIN}/a.m3u8` }, { name: `${ORIGIN}/b.m3u8` }],
      fetch: (url) => {
        calls++;
        if (url.endsWith('a.m3u8')) throw new TypeError('sync');
        return Promise.reject(new TypeError('network'));
      },
    });
    expect(thrower.run()).toEqual([`${ORIGIN}/a.m3u8`, `${ORIGIN}/b.m3u8`]);
    expect(calls).toBe(2);
    const broken = new ManifestCatchUp({
      loaded: () => {
        throw new Error('no timing');
      },
      fetch: async () => new Response(''),
    });
    expect(broken.run()).toEqual([]);
    const { catchUp, fetched } = setup([{ name: `${ORIGIN}/a.m3u8` }]);
    catchUp.destroy();
    expect(catchUp.run()).toEqual([]);
    expect(fetched).toEqual([]);
    await new Promise((r) => setTimeout(r, 0));
  });
});
