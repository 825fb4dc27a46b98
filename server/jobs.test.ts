import assert from "node:assert/strict";
import { it } from "node:test";
import { silentLog } from "../shared/http/log.ts";
import { JobRunner } from "./jobs.ts";

it("stop() waits for the run in progress and starts no more", async () => {
  let runs = 0;
  let finish: () => void = () => {};
  let started: () => void = () => {};
  const firstStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  let finished = false;
  const runner = new JobRunner(
    [
      {
        name: "compact",
        intervalMs: 0,
        run: () => {
          runs += 1;
          started();
          return new Promise<void>((resolve) => {
            finish = () => {
              finished = true;
              resolve();
            };
          });
        },
      },
    ],
    silentLog,
  );
  runner.start();
  await firstStarted;
  const order: string[] = [];
  const stopping = runner.stop().then(() => order.push("stopped"));
  // Give a stop() that did not wait every chance to resolve first.
  await new Promise((resolve) => setImmediate(resolve));
  order.push("run finishing");
  finish();
  await stopping;
  assert.deepEqual(order, ["run finishing", "stopped"]);
  assert.equal(finished, true);
  assert.equal(runs, 1);
});

it("a failing run is logged and the job keeps its schedule", async () => {
  const errors: string[] = [];
  let runs = 0;
  let third: () => void = () => {};
  const reachedThird = new Promise<void>((resolve) => {
    third = resolve;
  });
  const runner = new JobRunner(
    [
      {
        name: "flaky",
        intervalMs: 0,
        run: async () => {
          runs += 1;
          if (runs === 3) third();
          throw new Error(`failure ${runs}`);
        },
      },
    ],
    { error: (_message, details) => errors.push(String(details?.errorMessage)), info: () => {} },
  );
  runner.start();
  await reachedThird;
  await runner.stop();
  assert.deepEqual(errors.slice(0, 2), ["failure 1", "failure 2"]);
});
