/** A fetch for HashOracleClient tests: the P2P server's /health answers `health`; everything else goes to `inner`. */
export function withHealth(inner: typeof fetch, health: unknown = { ok: true, oracle: true }): typeof fetch {
  return (async (url: string | URL | Request, init?: RequestInit) =>
    String(url).includes('/swarmfetch/v1/health')
      ? new Response(JSON.stringify(health), { status: 200 })
      : inner(url, init)) as typeof fetch;
}
