/** The 8 16-bit words of a valid IPv6 address text without zone id (embedded IPv4 tail and `::` expanded). */
export function ipv6Words(text: string): number[] {
  let t = text;
  const lastColon = t.lastIndexOf(':');
  const tail = t.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    t = `${t.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = t.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const r = rest === undefined ? null : rest === '' ? [] : rest.split(':');
  const parts = r === null ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  return parts.map((p) => parseInt(p, 16));
}
