/**
 * The segment keys one peer announced it holds, bounded by count and by the characters of key text they hold.
 * A key announced again keeps its place; past either bound the oldest announcement is forgotten (never an error:
 * an honest peer with a larger store than ours only loses its oldest hints).
 */
export class RemoteKeys implements Iterable<string> {
  private readonly keys = new Set<string>();
  private chars = 0;

  constructor(
    private readonly maxKeys: number,
    private readonly maxChars: number,
  ) {}

  get size(): number {
    return this.keys.size;
  }

  /** Characters of key text held (the sum of the keys' lengths). */
  get charCount(): number {
    return this.chars;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    this.chars += key.length;
    while (this.keys.size > this.maxKeys || (this.chars > this.maxChars && this.keys.size > 0)) {
      const oldest = this.keys.values().next().value as string;
      this.delete(oldest);
    }
  }

  delete(key: string): boolean {
    if (!this.keys.delete(key)) return false;
    this.chars -= key.length;
    return true;
  }

  /** Whether any held key passes `test` (stops at the first). */
  some(test: (key: string) => boolean): boolean {
    for (const k of this.keys) if (test(k)) return true;
    return false;
  }

  clear(): void {
    this.keys.clear();
    this.chars = 0;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.keys.values();
  }
}
