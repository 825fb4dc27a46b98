// The default sort key of a new measurement: which tag keys lead the series order of its files.
// Chosen once, from the first batch that names the measurement, then fixed in the catalog schema.
import { compareUtf8 } from "../lineprotocol/order.ts";

/**
 * Tag keys by number of distinct values, descending, ties alphabetical; `override` keys lead in their own
 * order. High cardinality first makes one series (or one host) a contiguous run whose row-group and page
 * min/max statistics name only that run's values, so a one-host query prunes to a few pages. With
 * alphabetical order a low-cardinality key such as `arch` leads and each page's hostname range spans many
 * hosts. Tags that are functions of the leading one (a host's region, rack, os) stay constant along the
 * run, so their dictionary/RLE encoding costs the same in either order.
 */
export function chooseSortKey(
  distinctValues: ReadonlyMap<string, number>,
  override: readonly string[] = [],
): string[] {
  const lead = override.filter((k, i) => override.indexOf(k) === i);
  const rest = [...distinctValues]
    .filter(([k]) => !lead.includes(k))
    .sort(([a, x], [b, y]) => (x !== y ? y - x : compareUtf8(a, b)))
    .map(([k]) => k);
  return [...lead, ...rest];
}

/** Counts distinct values per tag key over series given as parallel key/value arrays. */
export class DistinctTagValues {
  private readonly values = new Map<string, Set<string>>();
  private last: readonly string[] | undefined;

  /** Adds one point's tags; repeated value arrays (the parser shares them per series) are skipped. */
  add(tagKeys: readonly string[], tagValues: readonly string[]): void {
    if (tagValues === this.last) return;
    this.last = tagValues;
    for (let i = 0; i < tagKeys.length; i++) {
      const k = tagKeys[i] as string;
      let set = this.values.get(k);
      if (set === undefined) {
        set = new Set();
        this.values.set(k, set);
      }
      set.add(tagValues[i] as string);
    }
  }

  counts(): Map<string, number> {
    return new Map([...this.values].map(([k, s]) => [k, s.size]));
  }
}

/**
 * A file's tag keys in sort-key order. Keys the sort key lacks (a schema read before another compactor added
 * them) go last, alphabetically, so the order is still total and the same in every process.
 */
export function orderBySortKey(keys: Iterable<string>, sortKey: readonly string[]): string[] {
  const rank = new Map(sortKey.map((k, i) => [k, i]));
  const at = (k: string) => rank.get(k) ?? sortKey.length;
  return [...new Set(keys)].sort((a, b) => at(a) - at(b) || compareUtf8(a, b));
}
