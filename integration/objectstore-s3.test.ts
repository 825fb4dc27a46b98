// The ObjectStore contract against S3 on the emulator (fauxqs, or AWS_ENDPOINT_URL).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { objectStoreContract } from "../shared/objectstore/contract.ts";
import { S3ObjectStore } from "../shared/objectstore/s3.ts";
import { awsClients, createBucket, type Emulator, startEmulator } from "./support/emulator.ts";

const conditionalWrites = process.env.SEDIMENT_TEST_CONDITIONAL_WRITES === "1";
let emulator: Emulator;

before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator.stop();
});

objectStoreContract(
  "S3",
  async () => {
    const { s3 } = awsClients(emulator.endpoint, emulator.region);
    const bucket = await createBucket(s3, "contract");
    return { store: new S3ObjectStore({ client: s3, bucket, conditionalWrites }) };
  },
  {
    conditional: conditionalWrites
      ? true
      : {
          skip: "the emulator ignores If-None-Match/If-Match; set SEDIMENT_TEST_CONDITIONAL_WRITES=1 on real S3",
        },
    manyKeys: 1100,
    largeObject: true,
  },
);

describe("S3ObjectStore specifics", () => {
  it("reports a missing bucket as an error, not as a missing object", async () => {
    const { s3 } = awsClients(emulator.endpoint, emulator.region);
    const store = new S3ObjectStore({ client: s3, bucket: "sediment-no-such-bucket-x", conditionalWrites });
    await assert.rejects(store.put("a", new Uint8Array(1)), /bucket "sediment-no-such-bucket-x"/);
  });
});
