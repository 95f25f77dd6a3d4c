/**
 * The STUN bind error, saying what to change; `code` (e.g. EADDRINUSE), `cause`, and a bind error's `syscall`
 * ('bind'), `address` and `port` kept (a TCP listen error has syscall 'listen').
 */
export function stunBindError(err: unknown, host: string, port: number): Error {
  const code = (err as { code?: unknown } | null)?.code;
  const why = err instanceof Error ? err.message : String(err);
  const error = new Error(
    `swarmfetch server: cannot bind the STUN responder to UDP ${host} port ${port} (${why}); set stunPort to a free UDP port, or stun: false (--stun-port N, --no-stun)`,
    { cause: err },
  );
  return Object.assign(error, { syscall: 'bind', address: host, port }, typeof code === 'string' ? { code } : {});
}
