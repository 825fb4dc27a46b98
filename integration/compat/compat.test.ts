// Diffs Sediment's InfluxQL answers against a real InfluxDB 1.x on the same data (dataset.ts) and
// queries (queries.ts). Skipped when `influxd` is not installed (as root: apt-get install -y influxdb).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { influxdAvailable } from "../../bench/peers/influxd.ts";
import { firstDifference, parseAnswer } from "./compare.ts";
import { compatBatches } from "./dataset.ts";
import { type Pair, startPair } from "./harness.ts";
import { QUERIES } from "./queries.ts";

const availability = influxdAvailable();

describe("InfluxQL answers match InfluxDB 1.x", { skip: availability.reason ?? false }, () => {
  let pair: Pair | undefined;
  before(async () => {
    pair = await startPair(compatBatches());
  });
  after(async () => {
    await pair?.stop();
  });

  for (const c of QUERIES) {
    const label = `${c.q}${c.epoch ? ` [epoch=${c.epoch}]` : ""}${c.db === undefined ? "" : ` [db=${c.db}]`}`;
    it(label, async () => {
      if (!pair) throw new Error("servers did not start");
      const params = { ...(c.epoch ? { epoch: c.epoch } : {}), ...(c.db === undefined ? {} : { db: c.db }) };
      const doc = c.documented;
      const [theirs, ours] = await Promise.all([
        pair.influx(doc?.base ?? c.q, params),
        pair.ours(c.q, params),
      ]);
      assert.equal(ours.status, theirs.status, `status; influxd said ${theirs.body}`);
      const expected = doc
        ? keepSeries(parseAnswer(theirs.body), doc.soffset, doc.slimit)
        : parseAnswer(theirs.body);
      const diff = firstDifference(expected, parseAnswer(ours.body));
      assert.equal(
        diff,
        undefined,
        `${diff}\n  influxd: ${theirs.body.slice(0, 1500)}\n  ours:    ${ours.body.slice(0, 1500)}`,
      );
    });
  }
});

/** The documented SLIMIT/SOFFSET: series [offset, offset + limit) of the first statement's answer. */
function keepSeries(answer: unknown, offset: number, limit: number): unknown {
  const a = answer as { results: [{ statement_id: number; series?: unknown[] }] };
  const r = a.results[0];
  const series = (r.series ?? []).slice(offset, offset + limit);
  return { results: [{ statement_id: r.statement_id, ...(series.length ? { series } : {}) }] };
}
