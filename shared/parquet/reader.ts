// Reads a Sediment measurement file back into rows (hyparquet), keeping time_ns, _seq and integers exact.
import { parquetMetadata, parquetRead } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import type { FieldType, FieldValue } from "../lineprotocol/types.ts";
import { ParquetFormatError } from "./errors.ts";
import type { FieldDef, MeasurementTable, Row } from "./table.ts";
import { META } from "./table.ts";

export interface FileMetadata {
  readonly formatVersion: string;
  readonly level: number;
  readonly rowCount: number;
  readonly minTimeNs: bigint;
  readonly maxTimeNs: bigint;
  readonly minSeq: bigint;
  readonly maxSeq: bigint;
  readonly tagKeys: readonly string[];
  readonly fields: readonly FieldDef[];
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function readFileMetadata(bytes: Uint8Array): FileMetadata {
  const meta = parquetMetadata(toArrayBuffer(bytes));
  const kv = new Map((meta.key_value_metadata ?? []).map((e) => [e.key, e.value ?? ""]));
  const need = (k: string) => {
    const v = kv.get(k);
    if (v === undefined) throw new ParquetFormatError(`not a Sediment file: missing metadata "${k}"`);
    return v;
  };
  try {
    const fields = JSON.parse(need(META.fields)) as Record<string, FieldType>;
    return {
      formatVersion: need(META.formatVersion),
      level: Number(need(META.level)),
      rowCount: Number(need(META.rowCount)),
      minTimeNs: BigInt(need(META.minTimeNs)),
      maxTimeNs: BigInt(need(META.maxTimeNs)),
      minSeq: BigInt(need(META.minSeq)),
      maxSeq: BigInt(need(META.maxSeq)),
      tagKeys: JSON.parse(need(META.tags)) as string[],
      fields: Object.entries(fields).map(([name, type]) => ({ name, type })),
    };
  } catch (cause) {
    if (cause instanceof ParquetFormatError) throw cause;
    throw new ParquetFormatError(`bad Sediment metadata: ${String(cause)}`, { cause });
  }
}

function fieldValue(type: FieldType, v: unknown): FieldValue | null {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "float":
      return Number(v);
    case "integer":
    case "unsigned":
      return typeof v === "bigint" ? v : BigInt(v as number);
    case "boolean":
      return Boolean(v);
    case "string":
      return String(v);
  }
}

/** Reads every row of a Sediment file (all columns except the derived `time`). */
export async function readMeasurementParquet(
  bytes: Uint8Array,
): Promise<MeasurementTable & { readonly meta: FileMetadata }> {
  const meta = readFileMetadata(bytes);
  const n = meta.rowCount;
  const columns = ["time_ns", "_seq", ...meta.tagKeys, ...meta.fields.map((f) => f.name)];
  const data = new Map<string, unknown[]>(columns.map((c) => [c, new Array(n).fill(null)]));
  await parquetRead({
    file: toArrayBuffer(bytes),
    columns,
    compressors,
    onChunk: (chunk) => {
      const target = data.get(chunk.columnName);
      if (!target) return;
      const src = chunk.columnData;
      for (let i = 0; i < src.length; i++) target[chunk.rowStart + i] = src[i];
    },
  });
  const col = (c: string) => data.get(c) as unknown[];
  const timeNs = col("time_ns");
  const seq = col("_seq");
  const tagCols = meta.tagKeys.map(col);
  const fieldCols = meta.fields.map((f) => col(f.name));
  const rows: Row[] = new Array(n);
  for (let i = 0; i < n; i++) {
    rows[i] = {
      tags: tagCols.map((c) => (c[i] ?? null) as string | null),
      timeNs: BigInt(timeNs[i] as bigint),
      seq: BigInt(seq[i] as bigint),
      values: fieldCols.map((c, f) => fieldValue((meta.fields[f] as FieldDef).type, c[i])),
    };
  }
  return { tagKeys: meta.tagKeys, fields: meta.fields, rows, meta };
}
