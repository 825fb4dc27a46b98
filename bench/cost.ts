// Cost model per million points: AWS list prices (named, with their source) applied to request and CPU counts
// measured in the bench run, next to Timestream for LiveAnalytics and Firehose-to-Parquet for the same rows.

import { CPU_FIELDS, hostTags, TAG_KEYS } from "./tsbs.ts";

/** us-east-1 list prices. Re-check against the pricing pages before quoting. */
export const PRICES = {
  /** S3 Standard PUT/COPY/POST/LIST, per 1,000 requests. */
  s3PutPer1k: 0.005,
  /** S3 Standard GET/SELECT, per 1,000 requests. */
  s3GetPer1k: 0.0004,
  /** SQS standard queue, per million requests; every 64 KiB chunk of a payload is billed as one request. */
  sqsPerMillionRequests: 0.4,
  /** Lambda arm64, per GB-second (first pricing tier). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** Timestream for LiveAnalytics, per million writes of 1 KiB. */
  timestreamPerMillionWrites: 0.5,
  /** Data Firehose Direct PUT ingestion, per GB (first 500 TB/month), each record rounded up to 5 KB. */
  firehoseIngestPerGb: 0.029,
  /** Data Firehose format conversion (JSON → Parquet/ORC), per GB ingested, 5 KB increments. */
  firehoseConversionPerGb: 0.018,
} as const;

export const COST_SOURCES: Readonly<Record<keyof typeof PRICES | "timestreamWriteSize", string>> = {
  s3PutPer1k: "https://aws.amazon.com/s3/pricing/ (also /work/shared/ENVIRONMENT.md)",
  s3GetPer1k: "https://aws.amazon.com/s3/pricing/ (also /work/shared/ENVIRONMENT.md)",
  sqsPerMillionRequests: "https://aws.amazon.com/sqs/pricing/ (64 KiB chunks: /work/shared/ENVIRONMENT.md)",
  lambdaArmPerGbSecond: "https://aws.amazon.com/lambda/pricing/",
  timestreamPerMillionWrites: "https://aws.amazon.com/timestream/pricing/",
  timestreamWriteSize:
    "https://docs.aws.amazon.com/timestream/latest/developerguide/metering-and-pricing.writes.html " +
    "(timestamp 8 B + dimension names and values + measure names + 8 B per bigint/double; counted in 1 KiB units)",
  firehoseIngestPerGb:
    "https://aws.amazon.com/kinesis/data-firehose/pricing/ (Direct PUT ingestion billed per GB in 5 KB increments per record)",
  firehoseConversionPerGb:
    "https://aws.amazon.com/kinesis/data-firehose/pricing/ (format conversion billed per GB ingested, 5 KB increments)",
};

/** Memory we assume a Lambda is configured with when turning measured CPU seconds into GB-seconds. */
export const LAMBDA_MEMORY_GB = 1;
const SQS_CHUNK_BYTES = 64 * 1024;
const SQS_MAX_MESSAGE_BYTES = 1024 * 1024;
const FIREHOSE_RECORD_ROUNDING_BYTES = 5 * 1024;
const FIREHOSE_MAX_RECORD_BYTES = 1000 * 1024;
const GB = 1024 ** 3;
const MILLION = 1_000_000;

export interface OurCostInputs {
  readonly rows: number;
  readonly requests: number;
  readonly lineBytes: number;
  /** Distinct Parquet objects seen in the object store during the run (level-0 and compacted). */
  readonly objectsWritten: number;
  /** CPU seconds the local server used from start through compaction. */
  readonly serverCpuSeconds: number;
}

/** Timestream write size of one TSBS row as one multi-measure record (documented formula). */
export function timestreamRecordBytes(): number {
  const t = hostTags({ hosts: 1, seed: 1 })[0];
  if (t === undefined) return 0;
  const dims = TAG_KEYS.reduce((a, k) => a + k.length + t[k].length, 0);
  const measures = CPU_FIELDS.reduce((a, f) => a + f.length + 8, 0);
  return 8 + dims + "cpu".length + measures;
}

/** One TSBS row as the JSON object a Firehose format conversion would take. */
export function firehoseJsonBytes(): number {
  const t = hostTags({ hosts: 1, seed: 1 })[0];
  const obj: Record<string, unknown> = { time: "2016-01-01T00:00:00.000Z", ...t };
  for (const f of CPU_FIELDS) obj[f] = 55.55;
  return new TextEncoder().encode(JSON.stringify(obj)).length + 1;
}

type Cell = string | number | null;

export function costModel(
  ours: OurCostInputs | undefined,
  rows: number,
  lineBytes: number,
  requests: number,
): { rows: Cell[][]; notes: string[]; inputs: Record<string, number> } {
  const usd = (n: number): number => Number(n.toFixed(4));
  const perM = MILLION / Math.max(1, rows);
  const out: Cell[][] = [];
  let oursTotal: number | undefined;
  const inputs: Record<string, number> = {};
  if (ours !== undefined) {
    const reqPerM = ours.requests * perM;
    const bytesPerReq = ours.lineBytes / Math.max(1, ours.requests);
    const inline = bytesPerReq <= SQS_MAX_MESSAGE_BYTES;
    const chunks = inline ? Math.ceil(bytesPerReq / SQS_CHUNK_BYTES) : 1;
    // send + receive billed per chunk; delete once per message (could be batched by 10).
    const sqsRequests = reqPerM * (2 * chunks + 1);
    const claimPuts = inline ? 0 : reqPerM;
    const claimGets = inline ? 0 : reqPerM;
    const puts = ours.objectsWritten * perM + claimPuts;
    // Compaction reads each level-0 object once; queries are not part of this model.
    const gets = ours.objectsWritten * perM + claimGets;
    const gbSeconds = ours.serverCpuSeconds * perM * LAMBDA_MEMORY_GB;
    const sqs = (sqsRequests / MILLION) * PRICES.sqsPerMillionRequests;
    const s3p = (puts / 1000) * PRICES.s3PutPer1k;
    const s3g = (gets / 1000) * PRICES.s3GetPer1k;
    const lambda = gbSeconds * PRICES.lambdaArmPerGbSecond;
    oursTotal = sqs + s3p + s3g + lambda;
    Object.assign(inputs, { reqPerM, bytesPerReq, chunks, sqsRequests, puts, gets, gbSeconds });
    out.push(
      [`SQS (${Math.round(sqsRequests)} billed requests)`, usd(sqs), null, null, null],
      [`S3 PUT (${Math.round(puts)})`, usd(s3p), null, null, null],
      [`S3 GET (${Math.round(gets)})`, usd(s3g), null, null, null],
      [`Lambda arm64 (${gbSeconds.toFixed(1)} GB-s)`, usd(lambda), null, null, null],
    );
  } else {
    out.push(["ours (needs the local server's ingest and compaction)", "not available", null, null, null]);
  }
  const tsBytes = timestreamRecordBytes();
  const tsWrites = MILLION * Math.ceil(tsBytes / 1024);
  const timestream = (tsWrites / MILLION) * PRICES.timestreamPerMillionWrites;
  const json = firehoseJsonBytes();
  const perRecordGb =
    (MILLION * Math.ceil(json / FIREHOSE_RECORD_ROUNDING_BYTES) * FIREHOSE_RECORD_ROUNDING_BYTES) / GB;
  const perRecord = perRecordGb * (PRICES.firehoseIngestPerGb + PRICES.firehoseConversionPerGb);
  const rowsPerRecord = Math.floor(FIREHOSE_MAX_RECORD_BYTES / json);
  const packedGb =
    (Math.ceil(MILLION / rowsPerRecord) *
      Math.ceil((rowsPerRecord * json) / FIREHOSE_RECORD_ROUNDING_BYTES) *
      FIREHOSE_RECORD_ROUNDING_BYTES) /
    GB;
  const packed = packedGb * (PRICES.firehoseIngestPerGb + PRICES.firehoseConversionPerGb);
  Object.assign(inputs, {
    tsBytes,
    tsWrites,
    json,
    perRecordGb,
    packedGb,
    lineBytesPerRow: lineBytes / rows,
  });
  out.push(
    [
      `Timestream writes (${tsBytes} B/record → ${tsWrites / MILLION} write/row)`,
      null,
      usd(timestream),
      null,
      null,
    ],
    [`Firehose + conversion, 1 point/record (${json} B JSON → 5 KB)`, null, null, usd(perRecord), null],
    [`Firehose + conversion, ${rowsPerRecord} points/record`, null, null, usd(packed), null],
    [
      "total ingest (Firehose: packed records)",
      oursTotal === undefined ? "not available" : usd(oursTotal),
      usd(timestream),
      usd(packed),
      oursTotal === undefined ? null : Number((oursTotal / timestream).toFixed(3)),
    ],
  );
  const notes = [
    `Ours: SQS = (send + receive) per 64 KiB chunk + 1 delete per ${Math.round(lineBytes / Math.max(1, requests))}-byte write request (bodies over 1 MiB become an S3 claim check: 1 PUT + 1 GET); ` +
      "S3 PUT/GET = Parquet objects seen in this run (level-0 and compacted), each read once by compaction; " +
      `Lambda = the local server's CPU seconds × ${LAMBDA_MEMORY_GB} GB (a lower bound: Lambda bills wall time). ` +
      "API Gateway, storage-months and queries are not modelled.",
    ...Object.entries(PRICES).map(([k, v]) => `${k} = ${v}: ${COST_SOURCES[k as keyof typeof PRICES]}`),
    `Timestream write size: ${COST_SOURCES.timestreamWriteSize}`,
  ];
  return { rows: out, notes, inputs };
}
