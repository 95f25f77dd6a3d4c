/**
 * Calls `onChange` with a boolean state each time a `check()` finds it changed since the last call (it starts as
 * `false`, so a state that starts `true` is told at the first check). For a state that is cheap to read and changes
 * as a side effect of many things (see Agent.direct): each of them calls `check()`, and only the changes go out.
 */
export class ChangeSignal {
  private told = false;

  constructor(
    private readonly read: () => boolean,
    private readonly onChange: ((on: boolean) => void) | undefined,
  ) {}

  check(): void {
    const on = this.read();
    if (on === this.told) return;
    this.told = on;
    this.onChange?.(on);
  }
}
