/**
 * Parses an HLS attribute list (`BANDWIDTH=1280000,CODECS="avc1.4d401e,mp4a.40.2",URI="a.m3u8"`) into a map of
 * names to values, quotes removed. One linear pass; malformed tails are dropped (best effort).
 */
export function parseAttributeList(text: string): Map<string, string> {
  const attrs = new Map<string, string>();
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && (text[i] === ',' || text[i] === ' ' || text[i] === '\t')) i++;
    if (i >= n) break;
    const eq = text.indexOf('=', i);
    if (eq < 0) break;
    const name = text.slice(i, eq).trim();
    let value: string;
    i = eq + 1;
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      const end = close < 0 ? n : close;
      value = text.slice(i + 1, end);
      i = end + 1;
      // skip anything up to the next separator after the closing quote
      const comma = text.indexOf(',', i);
      i = comma < 0 ? n : comma;
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? n : comma;
      value = text.slice(i, end).trim();
      i = end;
    }
    if (name !== '' && !attrs.has(name)) attrs.set(name, value);
  }
  return attrs;
}
