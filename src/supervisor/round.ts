/**
 * Goes round a changing set a share at a time, one share a tick: at least `min` items,
 * and the whole set within `ticks` ticks. With few items, all of them every tick; with
 * 1,000 programs, a check that costs a file read each (a log's stat, an adopted
 * program's /proc entry) costs a fraction of them per tick instead of all of them.
 */
export class Round<T> {
  private pending: T[] = [];

  constructor(
    private readonly ticks: number,
    private readonly min: number,
  ) {}

  /** This tick's share of `all` (`size` items); items gone since the round began are for the caller to skip. */
  next(all: () => Iterable<T>, size: number): T[] {
    let share = Math.max(this.min, Math.ceil(size / this.ticks));
    const out: T[] = [];
    if (this.pending.length === 0) this.pending = [...all()];
    while (share-- > 0 && this.pending.length > 0) out.push(this.pending.pop()!);
    return out;
  }
}
