import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { encodeRecord } from "./codec.ts";
import { crc32 } from "./crc32.ts";
import { WalUnavailableError } from "./errors.ts";
import { LocalWal } from "./local.ts";
import type { WalRecord } from "./port.ts";

/** A record whose body is about `size` bytes of distinct lines (so compression cannot shrink it much). */
function record(n: number, database = "db", size = 40): WalRecord {
  let text = "";
  for (let i = 0; text.length < size; i++)
    text += `cpu,host=h${n} usage=${(i * 7919 + n * 104729) % 1000003} ${i}\n`;
  return {
    database,
    writeId: `w-${n}`,
    receivedAtNs: BigInt(n) * 1000n,
    sequence: BigInt(n),
    precision: "ns",
    body: new TextEncoder().encode(text),
  };
}

const writeIds = (records: readonly { writeId: string }[]) => records.map((r) => r.writeId);

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.endsWith(".seg")).sort();
}

describe("LocalWal", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sediment-wal-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("delivers appended records in order, redelivers released ones and forgets acked ones", async () => {
    const wal = await LocalWal.open(dir);
    await wal.append([record(1), record(2)]);
    await wal.append([record(3, "other")]);
    const first = await wal.receive(2);
    assert.deepEqual(writeIds(first.map((d) => d.record)), ["w-1", "w-2"]);
    assert.deepEqual(
      first.map((d) => d.receiveCount),
      [1, 1],
    );
    assert.deepEqual(await wal.receive(10).then((d) => d.map((x) => x.record.writeId)), ["w-3"]);
    assert.deepEqual(await wal.receive(10), []);
    await wal.release([first[1]?.id ?? ""]);
    await wal.ack([first[0]?.id ?? ""]);
    const again = await wal.receive(10);
    assert.deepEqual(
      again.map((d) => [d.record.writeId, d.receiveCount]),
      [["w-2", 2]],
    );
    assert.deepEqual(writeIds(await wal.pending("db")), ["w-2"]);
    assert.deepEqual(writeIds(await wal.pending("other")), ["w-3"]);
    assert.deepEqual((await wal.pending("db"))[0]?.body, record(2).body);
    await wal.close();
  });

  it("redelivers unacknowledged records after a reopen, and never acknowledged ones", async () => {
    const wal = await LocalWal.open(dir);
    await wal.append([record(1), record(2), record(3), record(4)]);
    const got = await wal.receive(10);
    await wal.ack([got[0]?.id ?? "", got[2]?.id ?? ""]);
    await wal.close();

    const reopened = await LocalWal.open(dir);
    assert.equal(reopened.recovery.records, 2);
    assert.deepEqual(reopened.recovery.truncated, []);
    const redelivered = await reopened.receive(10);
    assert.deepEqual(writeIds(redelivered.map((d) => d.record)), ["w-2", "w-4"]);
    assert.deepEqual(redelivered[0]?.record, { ...record(2), body: redelivered[0]?.record.body });
    assert.deepEqual(redelivered[0]?.record.body, record(2).body);
    await reopened.close();
  });

  it("keeps every record before a torn tail and truncates the tear", async () => {
    const wal = await LocalWal.open(dir);
    await wal.append([record(1)]);
    await wal.append([record(2)]);
    await wal.append([record(3, "db", 5000)]);
    await wal.close();
    const [segment] = await segmentFiles(dir);
    assert.ok(segment);
    const path = join(dir, segment);
    const fullSize = (await stat(path)).size;
    await truncate(path, fullSize - 100);

    const reopened = await LocalWal.open(dir);
    assert.equal(reopened.recovery.truncated.length, 1);
    assert.match(reopened.recovery.truncated[0]?.reason ?? "", /torn/);
    assert.deepEqual(writeIds(await reopened.pending("db")), ["w-1", "w-2"]);
    await reopened.append([record(4)]);
    await reopened.close();

    const third = await LocalWal.open(dir);
    assert.deepEqual(third.recovery.truncated, []);
    assert.deepEqual(writeIds(await third.pending("db")), ["w-1", "w-2", "w-4"]);
    await third.close();
  });

  it("drops a record whose bytes were flipped, and everything after it in that segment", async () => {
    const wal = await LocalWal.open(dir);
    for (let n = 1; n <= 3; n++) await wal.append([record(n, "db", 300)]);
    await wal.close();
    const [segment] = await segmentFiles(dir);
    assert.ok(segment);
    const path = join(dir, segment);
    const bytes = await readFile(path);
    // Flip a byte inside the second record's body (header 8 + frame 1 + a bit into frame 2).
    const firstFrame = 8 + bytes.readUInt32LE(8);
    const target = 8 + firstFrame + 60;
    bytes[target] = (bytes[target] as number) ^ 0xff;
    await writeFile(path, bytes);

    const reopened = await LocalWal.open(dir);
    assert.deepEqual(writeIds(await reopened.pending("db")), ["w-1"]);
    assert.match(reopened.recovery.truncated[0]?.reason ?? "", /checksum/);
    assert.equal((await stat(path)).size, 8 + firstFrame);
    await reopened.close();
  });

  it("treats a garbled frame length as the end of the log", async () => {
    const wal = await LocalWal.open(dir);
    await wal.append([record(1), record(2)]);
    await wal.close();
    const [segment] = await segmentFiles(dir);
    const path = join(dir, segment ?? "");
    const bytes = await readFile(path);
    const second = 8 + 8 + bytes.readUInt32LE(8);
    bytes.writeUInt32LE(0x7fffffff, second);
    await writeFile(path, bytes);
    const reopened = await LocalWal.open(dir);
    assert.deepEqual(writeIds(await reopened.pending("db")), ["w-1"]);
    assert.match(reopened.recovery.truncated[0]?.reason ?? "", /length checksum/);
    await reopened.close();
  });

  it("forgets acknowledgements of records recovery cut off, so a later append there is delivered", async () => {
    const wal = await LocalWal.open(dir);
    for (let n = 1; n <= 3; n++) await wal.append([record(n, "db", 300)]);
    const got = await wal.receive(10);
    await wal.ack([got[1]?.id ?? "", got[2]?.id ?? ""]);
    await wal.close();
    const [segment] = await segmentFiles(dir);
    const path = join(dir, segment ?? "");
    const bytes = await readFile(path);
    // Garble the second record: recovery cuts the segment where it starts, which is an acked offset.
    const second = 8 + 8 + bytes.readUInt32LE(8);
    const target = second + 8 + 60;
    bytes[target] = (bytes[target] as number) ^ 0xff;
    await writeFile(path, bytes);

    const reopened = await LocalWal.open(dir);
    assert.equal(reopened.recovery.truncated[0]?.offset, second);
    assert.deepEqual(writeIds(await reopened.pending("db")), ["w-1"]);
    // Lands at the offset the cut-off record had, and that record's ack must not cover it.
    await reopened.append([record(4, "db", 300)]);
    await reopened.close();

    const third = await LocalWal.open(dir);
    assert.deepEqual(writeIds(await third.pending("db")), ["w-1", "w-4"]);
    const delivered = await third.receive(10);
    await third.ack(delivered.map((d) => d.id));
    await third.close();
    const fourth = await LocalWal.open(dir);
    assert.deepEqual(await fourth.pending("db"), []);
    await fourth.close();
  });

  it("keeps later acknowledgements aligned after a torn one", async () => {
    const wal = await LocalWal.open(dir);
    await wal.append([record(1), record(2), record(3)]);
    const got = await wal.receive(3);
    await wal.ack([got[0]?.id ?? ""]);
    await wal.ack([got[1]?.id ?? ""]);
    await wal.close();
    const ackFile = (await readdir(dir)).find((n) => n.endsWith(".ack"));
    assert.ok(ackFile);
    await truncate(join(dir, ackFile), 6);

    const reopened = await LocalWal.open(dir);
    assert.deepEqual(writeIds(await reopened.pending("db")), ["w-2", "w-3"]);
    const again = await reopened.receive(10);
    await reopened.ack([again[1]?.id ?? ""]);
    await reopened.close();
    const third = await LocalWal.open(dir);
    assert.deepEqual(writeIds(await third.pending("db")), ["w-2"]);
    await third.close();
  });

  it("ignores a torn acknowledgement, redelivering that record", async () => {
    const wal = await LocalWal.open(dir);
    await wal.append([record(1), record(2)]);
    const got = await wal.receive(2);
    await wal.ack([got[0]?.id ?? ""]);
    await wal.ack([got[1]?.id ?? ""]);
    await wal.close();
    const ackFile = (await readdir(dir)).find((n) => n.endsWith(".ack"));
    assert.ok(ackFile);
    await truncate(join(dir, ackFile), 6);
    const reopened = await LocalWal.open(dir);
    assert.deepEqual(writeIds(await reopened.pending("db")), ["w-2"]);
    await reopened.close();
  });

  it("rolls segments at the size limit and deletes fully acknowledged ones", async () => {
    const wal = await LocalWal.open(dir, { segmentBytes: 1024 });
    for (let n = 1; n <= 20; n++) await wal.append([record(n, "db", 400)]);
    assert.ok((await segmentFiles(dir)).length > 3);
    const all = await wal.receive(100);
    assert.equal(all.length, 20);
    await wal.ack(all.slice(0, 10).map((d) => d.id));
    await wal.append([record(21, "db", 400)]);
    const afterPartial = await segmentFiles(dir);
    await wal.ack(all.slice(10).map((d) => d.id));
    await wal.append([record(22, "db", 400)]);
    const remaining = await segmentFiles(dir);
    assert.ok(remaining.length < afterPartial.length, `${remaining} vs ${afterPartial}`);
    assert.ok(remaining.length <= 2);
    await wal.close();
    const reopened = await LocalWal.open(dir, { segmentBytes: 1024 });
    assert.deepEqual(writeIds(await reopened.pending("db")), ["w-21", "w-22"]);
    await reopened.close();
  });

  it("commits concurrent appends as a group, in call order", async () => {
    const wal = await LocalWal.open(dir);
    await Promise.all(Array.from({ length: 50 }, (_, i) => wal.append([record(i + 1)])));
    assert.equal(wal.stats.records, 50);
    assert.ok(wal.stats.flushes <= 2, `flushes ${wal.stats.flushes}`);
    assert.deepEqual(
      writeIds(await wal.pending("db")),
      Array.from({ length: 50 }, (_, i) => `w-${i + 1}`),
    );
    await wal.close();
  });

  it("wakes a waiting consumer on append", async () => {
    const wal = await LocalWal.open(dir);
    const waiting = wal.waitForRecords();
    await wal.append([record(1)]);
    await waiting;
    assert.equal((await wal.receive(1)).length, 1);
    await wal.close();
  });

  it("stores bodies uncompressed and still reads compressed records of earlier segments", async () => {
    const old = record(1, "db", 5000);
    const encoded = encodeRecord(old);
    assert.ok(encoded.length < old.body.length / 2, "the old-style record is compressed");
    const frame = Buffer.alloc(8);
    frame.writeUInt32LE(encoded.length, 0);
    frame.writeUInt32LE(crc32(frame.subarray(0, 4)), 4);
    const header = Buffer.from([0x53, 0x44, 0x57, 0x53, 1, 0, 0, 0]);
    await writeFile(join(dir, "000000000001.seg"), Buffer.concat([header, frame, encoded]));

    const wal = await LocalWal.open(dir);
    assert.deepEqual(await wal.pending("db"), [old]);
    const fresh = record(2, "db", 5000);
    await wal.append([fresh]);
    await wal.close();
    const bytes = await readFile(join(dir, "000000000001.seg"));
    assert.ok(bytes.includes(Buffer.from(fresh.body)), "the new body is in the segment as received");
    const reopened = await LocalWal.open(dir);
    assert.deepEqual(await reopened.pending("db"), [old, fresh]);
    await reopened.close();
  });

  it("refuses appends once closed", async () => {
    const wal = await LocalWal.open(dir);
    await wal.close();
    await assert.rejects(wal.append([record(1)]), WalUnavailableError);
  });
});
