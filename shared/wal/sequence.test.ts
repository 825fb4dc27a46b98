import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../core/clock.ts";
import { SequenceGenerator } from "./sequence.ts";

describe("SequenceGenerator", () => {
  it("follows the clock when it moves forward", () => {
    const clock = new ManualClock(1_000n);
    const seq = new SequenceGenerator(clock);
    assert.equal(seq.next(), 1_000n);
    clock.set(5_000n);
    assert.equal(seq.next(), 5_000n);
  });

  it("stays strictly increasing when the clock stands still or goes back", () => {
    const clock = new ManualClock(1_000n);
    const seq = new SequenceGenerator(clock);
    const values = [seq.next(), seq.next(), seq.next()];
    clock.set(10n);
    values.push(seq.next());
    assert.deepEqual(values, [1_000n, 1_001n, 1_002n, 1_003n]);
  });
});
