/** Label values of one series, by label name. */
export type Labels = Readonly<Record<string, string>>;

/** A monotonic counter, with or without labels. */
export interface Counter {
  /** Adds `by` (default 1; negative or non-finite amounts are ignored: a counter never goes down). */
  inc(labels?: Labels, by?: number): void;
}

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  labelNames: readonly string[];
  /** Incremented series by label key (counters made with `counter`). */
  series: Map<string, { labels: string; value: number }> | null;
  /** Read at each render (`sampled`). */
  read: (() => number) | null;
}

/** Series one family may have; past it new label combinations share one series whose labels all say `other`. */
const MAX_SERIES = 64;
/** Longest label value kept (a longer one is cut). */
const MAX_LABEL_VALUE = 100;
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (text: string) => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (text: string) => text.slice(0, MAX_LABEL_VALUE).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  return String(n);
}

/**
 * Counters and gauges rendered in the Prometheus text exposition format (version 0.0.4): for each metric a `# HELP`
 * and a `# TYPE` line, then one `name{label="value",…} value` line per series. Label sets are bounded (MAX_SERIES a
 * metric), so a client cannot grow the registry with made-up values.
 */
export class MetricsRegistry {
  private readonly families: Family[] = [];

  /** A counter incremented by the server; `name` should end in `_total`. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    const family = this.add({ name, help, type: 'counter', labelNames, series: new Map(), read: null });
    const series = family.series as NonNullable<Family['series']>;
    return {
      inc: (labels = {}, by = 1) => {
        if (!Number.isFinite(by) || by <= 0) return;
        let key = labelNames.map((l) => `${l}="${escapeLabel(labels[l] ?? '')}"`).join(',');
        if (!series.has(key) && series.size >= MAX_SERIES) key = labelNames.map((l) => `${l}="other"`).join(',');
        const entry = series.get(key);
        if (entry) entry.value += by;
        else series.set(key, { labels: key, value: by });
      },
    };
  }

  /** A metric whose value is read when rendered: a gauge, or a counter kept elsewhere (which must never go down). */
  sampled(name: string, help: string, type: 'counter' | 'gauge', read: () => number): void {
    this.add({ name, help, type, labelNames: [], series: null, read });
  }

  /** Every metric, in the order made. */
  render(): string {
    const lines: string[] = [];
    for (const f of this.families) {
      lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
      if (f.read) {
        let value: number;
        try {
          value = f.read();
        } catch {
          value = Number.NaN;
        }
        lines.push(`${f.name} ${formatValue(value)}`);
      } else {
        // an unlabelled counter is 0 before its first increment; a labelled one has no series yet
        if (f.series?.size === 0 && f.labelNames.length === 0) lines.push(`${f.name} 0`);
        for (const s of f.series?.values() ?? []) lines.push(`${f.name}${s.labels ? `{${s.labels}}` : ''} ${formatValue(s.value)}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  private add(family: Family): Family {
    if (!NAME.test(family.name) || this.families.some((f) => f.name === family.name)) throw new Error(`bad or repeated metric name ${family.name}`);
    if (!family.labelNames.every((l) => LABEL_NAME.test(l) && !l.startsWith('__'))) throw new Error(`bad label name in ${family.name}`);
    this.families.push(family);
    return family;
  }
}
