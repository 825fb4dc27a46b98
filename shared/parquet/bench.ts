// Measures the Parquet writer choices on TSBS-like rows: `node --import tsx shared/parquet/bench.ts [hosts] [points]`.
import { parquetWriteBuffer } from "hyparquet-writer";
import { tsbsTable } from "./tsbs.ts";
import { writeMeasurementParquet } from "./writer.ts";

const hosts = Number(process.argv[2] ?? 100);
const points = Number(process.argv[3] ?? 2000);

for (const form of ["integer", "float"] as const) {
  const table = tsbsTable({ hosts, pointsPerHost: points, form });
  const n = table.rows.length;
  for (const integerEncoding of form === "integer"
    ? (["dictionary", "delta"] as const)
    : (["dictionary", "bss"] as const)) {
    const t0 = performance.now();
    const out = writeMeasurementParquet(table, {
      level: 1,
      integerEncoding: integerEncoding === "bss" ? "delta" : integerEncoding,
      floatEncoding: integerEncoding === "bss" ? "byte_stream_split" : "dictionary",
    });
    const ms = performance.now() - t0;
    console.log(
      `parquet-wasm zstd ${form} variant=${integerEncoding === "bss" ? "float byte_stream_split" : `int ${integerEncoding}`}: ${n} rows ${ms.toFixed(0)} ms ` +
        `${Math.round(n / (ms / 1000))} rows/s ${(out.bytes.length / n).toFixed(2)} B/row`,
    );
  }
  const t0 = performance.now();
  const columnData = [
    { name: "time_ns", data: BigInt64Array.from(table.rows, (r) => r.timeNs), type: "INT64" as const },
    { name: "_seq", data: BigInt64Array.from(table.rows, (r) => r.seq), type: "INT64" as const },
    ...table.tagKeys.map((name, t) => ({
      name,
      data: table.rows.map((r) => r.tags[t]),
      type: "STRING" as const,
    })),
    ...table.fields.map((f, i) =>
      f.type === "integer"
        ? {
            name: f.name,
            data: BigInt64Array.from(table.rows, (r) => r.values[i] as bigint),
            type: "INT64" as const,
          }
        : {
            name: f.name,
            data: Float64Array.from(table.rows, (r) => r.values[i] as number),
            type: "DOUBLE" as const,
          },
    ),
  ];
  const bytes = parquetWriteBuffer({ columnData, codec: "SNAPPY", rowGroupSize: 100_000 });
  const ms = performance.now() - t0;
  console.log(
    `hyparquet-writer snappy ${form}: ${n} rows ${ms.toFixed(0)} ms ${Math.round(n / (ms / 1000))} rows/s ` +
      `${(bytes.byteLength / n).toFixed(2)} B/row (no zstd compressor installed)`,
  );
}
