// Counts the media bytes the origin actually sent, per User-Agent, so the demo (and the tests, which give each
// viewer its own User-Agent) can check the P2P share independently of what the pages report.

const MAX_AGENTS = 1000;

/** Hooks the HTTP server before express; counts body bytes of responses under `prefix`. */
export function countOriginBytes(httpServer, prefix) {
  const byAgent = new Map();
  let total = 0;
  httpServer.prependListener('request', (req, res) => {
    if (!req.url || !req.url.startsWith(prefix) || /\.(m3u8|mpd)(\?|$)/.test(req.url)) return;
    const agent = String(req.headers['user-agent'] ?? '').slice(0, 200);
    const add = (chunk, encoding) => {
      if (!chunk || typeof chunk === 'function') return;
      const n = typeof chunk === 'string' ? Buffer.byteLength(chunk, typeof encoding === 'string' ? encoding : 'utf8') : chunk.length;
      total += n;
      if (byAgent.has(agent) || byAgent.size < MAX_AGENTS) byAgent.set(agent, (byAgent.get(agent) ?? 0) + n);
    };
    const write = res.write;
    const end = res.end;
    res.write = function (chunk, encoding, cb) {
      add(chunk, encoding);
      return write.call(this, chunk, encoding, cb);
    };
    res.end = function (chunk, encoding, cb) {
      add(chunk, encoding);
      return end.call(this, chunk, encoding, cb);
    };
  });
  return () => ({ total, byAgent: Object.fromEntries(byAgent) });
}
