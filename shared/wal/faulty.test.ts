import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { WalUnavailableError } from "./errors.ts";
import { FaultyWalWriter } from "./faulty.ts";
import { LocalWal } from "./local.ts";

describe("FaultyWalWriter", () => {
  it("fails the chosen appends without writing them, then passes appends through", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sediment-faulty-wal-"));
    try {
      const wal = await LocalWal.open(dir);
      const faulty = new FaultyWalWriter(wal).failNext(1);
      const record = {
        database: "db",
        writeId: "w",
        receivedAtNs: 1n,
        sequence: 1n,
        precision: "ns" as const,
        body: new Uint8Array([109, 32, 102, 61, 49]),
      };
      await assert.rejects(faulty.append([record]), WalUnavailableError);
      assert.deepEqual(await wal.pending("db"), []);
      await faulty.append([record]);
      assert.equal((await wal.pending("db")).length, 1);
      assert.equal(faulty.appendCalls, 2);
      await faulty.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
