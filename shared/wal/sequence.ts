// WAL sequence numbers: strictly increasing within a process and close to wall-clock nanoseconds, so writes
// received by different Lambda instances are ordered by receive time. Across instances the order is only
// as good as their clocks (NTP keeps Lambda hosts within about a millisecond); two writes to the same
// series, time and field that arrive within the skew may resolve in either order. Within one instance a
// later write always wins.
import type { Clock } from "../core/clock.ts";

export class SequenceGenerator {
  private last = -1n;

  constructor(private readonly clock: Clock) {}

  next(): bigint {
    const now = this.clock.nowNs();
    this.last = now > this.last ? now : this.last + 1n;
    return this.last;
  }
}
