/** Values a DASH SegmentTemplate URL may refer to. */
export interface DashTemplateValues {
  RepresentationID: string;
  Bandwidth: number | null;
  Number?: number;
  Time?: bigint;
}

const FORMAT = /^%0?(\d{1,2})d$/;

function valueOf(name: string, values: DashTemplateValues): string | null {
  switch (name) {
    case 'RepresentationID':
      return values.RepresentationID;
    case 'Bandwidth':
      return values.Bandwidth === null ? null : String(values.Bandwidth);
    case 'Number':
      return values.Number === undefined ? null : String(values.Number);
    case 'Time':
      return values.Time === undefined ? null : values.Time.toString();
    default:
      return null;
  }
}

/**
 * Expands `$RepresentationID$`, `$Number$`, `$Time$`, `$Bandwidth$` (with an optional `%0<width>d` format tag,
 * width ≤ 99) and `$$` in a DASH template. Identifiers it does not know or has no value for stay as written.
 */
export function formatDashTemplate(template: string, values: DashTemplateValues): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('$', i);
    if (open < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, open);
    const close = template.indexOf('$', open + 1);
    if (close < 0) {
      out += template.slice(open);
      break;
    }
    i = close + 1;
    const ident = template.slice(open + 1, close);
    if (ident === '') {
      out += '$';
      continue;
    }
    const pct = ident.indexOf('%');
    const name = pct < 0 ? ident : ident.slice(0, pct);
    const format = pct < 0 ? null : FORMAT.exec(ident.slice(pct));
    const value = valueOf(name, values);
    if (value === null || (pct >= 0 && (format === null || name === 'RepresentationID'))) {
      out += template.slice(open, close + 1);
      continue;
    }
    out += format === null ? value : value.padStart(Number(format[1]), '0');
  }
  return out;
}
