// Executes parsed InfluxQL statements against the catalog, Parquet files and the WAL tail, producing
// InfluxDB 1.x-shaped results (time still as ns; results.ts formats it).

import type { CatalogReader, FileEntry, MeasurementEntry } from "../catalog/port.ts";
import type { Clock } from "../core/clock.ts";
import type {
  Dimension,
  Expr,
  Field,
  MeasurementSource,
  Query,
  SelectStatement,
  Statement,
} from "../influxql/ast.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import type { WalTail } from "../wal/port.ts";
import {
  type Accumulator,
  type AggResult,
  addColumn,
  type CallSpec,
  callSpec,
  createAccumulator,
  DistinctAccumulator,
  SELECTORS,
  typeError,
} from "./aggregate.ts";
import { applyFloatFilter, sameTags, splitCondition, tagChanges } from "./columnar.ts";
import { type ColumnBatch, type FieldColumn, isValid, NULL_COLUMN, tagValue } from "./columns.ts";
import {
  arith,
  compilePredicate,
  compileRegex,
  type Predicate,
  type Row,
  type RowLayout,
  referencedNames,
  type TimeRange,
  timeRange,
  type Value,
} from "./condition.ts";
import { QueryError, QueryLimitError, UnsupportedError } from "./errors.ts";
import type { QueryLimits } from "./limits.ts";
import { overlapClusters, type PruneInput, planFiles } from "./planner.ts";
import {
  batchRows,
  DedupMerger,
  type FooterCache,
  type IoStats,
  type LineParser,
  type Projection,
  readFile,
  readFileBatches,
  selectRows,
  walRows,
} from "./source.ts";
import { floorDiv, MAX_TIME, MIN_TIME } from "./time.ts";

export interface ExecDeps {
  readonly catalog: CatalogReader;
  readonly store: ObjectStore;
  readonly walTail?: WalTail;
  readonly parse?: LineParser;
  readonly clock: Clock;
  readonly limits: QueryLimits;
  readonly footers?: FooterCache;
  /** Sends every row through the row-at-a-time path (the reference the batch path is tested against). */
  readonly rowEngine?: boolean;
}

export interface SeriesResult {
  readonly name?: string;
  readonly tags?: Record<string, string>;
  readonly columns: string[];
  readonly values: Value[][];
  /** True when column 0 is a time in ns (formatted per `epoch`). */
  readonly timeColumn: boolean;
}

export interface StatementResult {
  readonly statement_id: number;
  readonly series?: SeriesResult[];
  readonly error?: string;
}

interface Ctx {
  readonly deps: ExecDeps;
  readonly database: string | undefined;
  readonly stats: IoStats;
  readonly nowNs: bigint;
  readonly deadlineMs: number;
}

export async function executeQuery(
  query: Query,
  deps: ExecDeps,
  database: string | undefined,
  stats: IoStats,
): Promise<StatementResult[]> {
  const ctx: Ctx = {
    deps,
    database,
    stats,
    nowNs: deps.clock.nowNs(),
    deadlineMs: deps.clock.nowMs() + deps.limits.timeoutMs,
  };
  const out: StatementResult[] = [];
  for (const [i, stmt] of query.statements.entries()) {
    try {
      const series = await executeStatement(stmt, ctx);
      out.push(series.length ? { statement_id: i, series } : { statement_id: i });
    } catch (err) {
      if (!(err instanceof QueryError)) throw err;
      out.push({ statement_id: i, error: err.message });
      // InfluxDB stops at the first failing statement.
      break;
    }
  }
  return out;
}

function requireDb(ctx: Ctx, explicit?: string): string {
  const db = explicit ?? ctx.database;
  if (!db) throw new QueryError("database name required");
  return db;
}

async function existingDb(ctx: Ctx, explicit?: string): Promise<string> {
  const db = requireDb(ctx, explicit);
  if (!(await ctx.deps.catalog.databases()).includes(db)) throw new QueryError(`database not found: ${db}`);
  return db;
}

function checkDeadline(ctx: Ctx): void {
  if (ctx.deps.clock.nowMs() > ctx.deadlineMs) {
    throw new QueryError(`query timeout: exceeded QueryLimits.timeoutMs (${ctx.deps.limits.timeoutMs} ms)`);
  }
}

async function executeStatement(stmt: Statement, ctx: Ctx): Promise<SeriesResult[]> {
  switch (stmt.kind) {
    case "select":
      return executeSelect(stmt, ctx);
    case "showDatabases": {
      const dbs = (await ctx.deps.catalog.databases()).sort();
      return [{ name: "databases", columns: ["name"], values: dbs.map((d) => [d]), timeColumn: false }];
    }
    case "showRetentionPolicies": {
      await existingDb(ctx, stmt.on);
      return [
        {
          columns: ["name", "duration", "shardGroupDuration", "replicaN", "default"],
          values: [["autogen", "0s", "168h0m0s", 1n, true]],
          timeColumn: false,
        },
      ];
    }
    case "showMeasurements": {
      const db = await existingDb(ctx, stmt.on);
      let names = (await ctx.deps.catalog.measurements(db)).map((m) => m.name).sort();
      const m = stmt.measurement;
      if (m) {
        const re = m.op.includes("~") ? compileRegex(m.value) : undefined;
        names = names.filter((n) => {
          const hit = re ? re.test(n) : n === m.value;
          return m.op.startsWith("!") ? !hit : hit;
        });
      }
      if (stmt.condition) {
        const kept: string[] = [];
        for (const n of names) if ((await seriesOf(ctx, db, n, stmt.condition, 1)).length) kept.push(n);
        names = kept;
      }
      names = page(names, stmt.offset, stmt.limit);
      return names.length
        ? [{ name: "measurements", columns: ["name"], values: names.map((n) => [n]), timeColumn: false }]
        : [];
    }
    case "showTagKeys": {
      const db = await existingDb(ctx, stmt.on);
      const out: SeriesResult[] = [];
      for (const m of await resolveMeasurements(ctx, db, stmt.sources)) {
        const keys = page([...m.tagKeys].sort(), stmt.offset, stmt.limit);
        if (keys.length)
          out.push({ name: m.name, columns: ["tagKey"], values: keys.map((k) => [k]), timeColumn: false });
      }
      return out;
    }
    case "showFieldKeys": {
      const db = await existingDb(ctx, stmt.on);
      const out: SeriesResult[] = [];
      for (const m of await resolveMeasurements(ctx, db, stmt.sources)) {
        const keys = page([...m.fields.keys()].sort(), stmt.offset, stmt.limit);
        if (keys.length) {
          out.push({
            name: m.name,
            columns: ["fieldKey", "fieldType"],
            values: keys.map((k) => [k, m.fields.get(k) ?? null]),
            timeColumn: false,
          });
        }
      }
      return out;
    }
    case "showTagValues": {
      const db = await existingDb(ctx, stmt.on);
      const out: SeriesResult[] = [];
      const kf = stmt.key;
      const keyOk = (k: string): boolean => {
        if (kf.op === "IN") return kf.keys.includes(k);
        if ("pattern" in kf) return compileRegex(kf.pattern).test(k) === (kf.op === "=~");
        return (k === kf.key) === (kf.op === "=");
      };
      for (const m of await resolveMeasurements(ctx, db, stmt.sources)) {
        const keys = m.tagKeys.filter(keyOk).sort();
        if (!keys.length) continue;
        const pairs = new Set<string>();
        const values: [string, string][] = [];
        const fromSummaries = stmt.condition ? undefined : await tagValuesFromCatalog(ctx, db, m.name, keys);
        const found = fromSummaries ?? (await seriesOf(ctx, db, m.name, stmt.condition, 0, m));
        for (const s of found) {
          for (const k of keys) {
            const v = s.get(k);
            if (v === undefined || v === "") continue;
            const id = `${k}\u0000${v}`;
            if (!pairs.has(id)) {
              pairs.add(id);
              values.push([k, v]);
            }
          }
        }
        values.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
        const paged = page(values, stmt.offset, stmt.limit);
        if (paged.length)
          out.push({ name: m.name, columns: ["key", "value"], values: paged, timeColumn: false });
      }
      return out;
    }
    case "showSeries": {
      const db = await existingDb(ctx, stmt.on);
      const keys: string[] = [];
      for (const m of await resolveMeasurements(ctx, db, stmt.sources)) {
        for (const s of await seriesOf(ctx, db, m.name, stmt.condition, 0, m))
          keys.push(seriesKey(m.name, s));
      }
      keys.sort();
      const paged = page(keys, stmt.offset, stmt.limit);
      return paged.length ? [{ columns: ["key"], values: paged.map((k) => [k]), timeColumn: false }] : [];
    }
    case "createDatabase":
      // Databases come into being on first write; accepting CREATE keeps clients that issue it working.
      return [];
    case "dropDatabase":
      throw new UnsupportedError("DROP DATABASE");
    case "dropMeasurement":
      throw new UnsupportedError("DROP MEASUREMENT");
    case "dropSeries":
      throw new UnsupportedError("DROP SERIES");
  }
}

function page<T>(items: T[], offset: number, limit: number): T[] {
  return items.slice(offset, limit > 0 ? offset + limit : undefined);
}

const escapeKey = (s: string): string => s.replace(/[,= \\]/g, (c) => `\\${c}`);

function seriesKey(measurement: string, tags: ReadonlyMap<string, string>): string {
  let out = measurement.replace(/[, \\]/g, (c) => `\\${c}`);
  for (const [k, v] of [...tags].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (v !== "") out += `,${escapeKey(k)}=${escapeKey(v)}`;
  }
  return out;
}

async function resolveMeasurements(
  ctx: Ctx,
  db: string,
  sources: readonly MeasurementSource[],
): Promise<MeasurementEntry[]> {
  const all = (await ctx.deps.catalog.measurements(db)).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  if (sources.length === 0) return all;
  return all.filter((m) =>
    sources.some((s) => (s.regex !== undefined ? compileRegex(s.regex).test(m.name) : s.name === m.name)),
  );
}

function layoutFor(tagNames: readonly string[], fieldNames: readonly string[]): RowLayout {
  const t = new Map(tagNames.map((n, i) => [n, i]));
  const f = new Map(fieldNames.map((n, i) => [n, i]));
  return { tagIndex: (n) => t.get(n), fieldIndex: (n) => f.get(n) };
}

/**
 * SHOW TAG VALUES without WHERE, answered from the catalog's per-file tag-value summaries (no data
 * read); undefined when some file did not summarise one of the keys.
 */
async function tagValuesFromCatalog(
  ctx: Ctx,
  db: string,
  measurement: string,
  keys: readonly string[],
): Promise<Map<string, string>[] | undefined> {
  if (ctx.deps.walTail && ctx.deps.parse) return undefined;
  const out: Map<string, string>[] = [];
  for (const p of await ctx.deps.catalog.partitions(db, measurement, MIN_TIME, MAX_TIME)) {
    ctx.stats.partitionsConsidered++;
    for (const f of p.files) {
      ctx.stats.filesConsidered++;
      for (const k of keys) {
        const values = f.tagValues.get(k);
        if (!values) return undefined;
        for (const v of values) out.push(new Map([[k, v]]));
      }
    }
  }
  return out;
}

/** Distinct series (tag sets) of a measurement matching a tag/time condition. */
async function seriesOf(
  ctx: Ctx,
  db: string,
  measurement: string,
  condition: Expr | undefined,
  stopAfter: number,
  entry?: MeasurementEntry,
): Promise<Map<string, string>[]> {
  const m = entry ?? (await ctx.deps.catalog.measurements(db)).find((x) => x.name === measurement);
  if (!m) return [];
  const tagNames = m.tagKeys;
  const fieldNames = [...referencedNames(condition)].filter((n) => m.fields.has(n) && !tagNames.includes(n));
  const projection: Projection = { tagNames, fieldNames, seq: false };
  const range = timeRange(condition, ctx.nowNs);
  const seen = new Map<string, Map<string, string>>();
  const pred = compilePredicate(condition, layoutFor(tagNames, fieldNames), ctx.nowNs);
  await scan(ctx, db, m, range, condition, projection, (rows) => {
    for (const r of rows) {
      if (!pred(r)) continue;
      const id = r.tags.map((t) => t ?? "").join("\u0000");
      if (!seen.has(id)) seen.set(id, new Map(tagNames.map((k, i) => [k, r.tags[i] ?? ""])));
    }
    return stopAfter > 0 && seen.size >= stopAfter;
  });
  return [...seen.values()];
}

/**
 * Feeds every (deduplicated) row of a measurement in range to `sink`. Files whose time ranges
 * overlap nothing else and are already merged (level >= 1) stream straight through; overlapping
 * clusters and level-0 files are merged by the dedup rule first. `sink` returning true stops early.
 */
async function scan(
  ctx: Ctx,
  db: string,
  m: MeasurementEntry,
  range: TimeRange,
  condition: Expr | undefined,
  projection: Projection,
  sink: (rows: Row[]) => boolean | undefined,
  batchSink?: (batch: ColumnBatch) => void,
): Promise<void> {
  const { deps, stats } = ctx;
  const tagSet = new Set(m.tagKeys);
  const prune: PruneInput = {
    range,
    nowNs: ctx.nowNs,
    isTag: (n) => tagSet.has(n),
    ...(condition ? { condition } : {}),
  };
  const partitions = await deps.catalog.partitions(db, m.name, range.min, range.max);
  const plan = planFiles(partitions, prune);
  stats.partitionsConsidered += plan.partitionsConsidered;
  stats.partitionsRead += plan.partitionsChosen;
  stats.filesConsidered += plan.filesConsidered;

  type Src = { minTimeNs: bigint; maxTimeNs: bigint; file?: FileEntry; rows?: Row[] };
  const toSrc = (f: FileEntry): Src => ({ minTimeNs: f.minTimeNs, maxTimeNs: f.maxTimeNs, file: f });
  // Duplicates can only meet within a partition (or between the WAL and any file).
  let clusters: Src[][] = plan.byPartition.flatMap((files) => overlapClusters(files.map(toSrc)));
  if (deps.walTail && deps.parse) {
    const all = walRows(
      await deps.walTail.pending(db),
      m.name,
      deps.parse,
      { ...projection, tagNames: m.tagKeys },
      stats,
    );
    const rows = all.filter((r) => r.time >= range.min && r.time <= range.max);
    if (rows.length) {
      let min = MAX_TIME;
      let max = MIN_TIME;
      for (const r of rows) {
        if (r.time < min) min = r.time;
        if (r.time > max) max = r.time;
      }
      // WAL rows carry every tag so they can be merged with any file; project afterwards.
      const wal: Src[] = [{ minTimeNs: min, maxTimeNs: max, rows }];
      const apart: Src[][] = [];
      for (const c of clusters) {
        if (c.some((x) => x.minTimeNs <= max && x.maxTimeNs >= min)) wal.push(...c);
        else apart.push(c);
      }
      clusters = [...apart, wal];
    }
  }
  const fullTags: Projection = { tagNames: m.tagKeys, fieldNames: projection.fieldNames, seq: true };
  const toProjection = reproject(m.tagKeys, projection.tagNames);
  let stopped = false;
  const checkLimits = (): void => {
    if (stats.rowsScanned + stats.walPoints > deps.limits.maxPointsScanned) {
      throw new QueryLimitError(
        "maxPointsScanned",
        stats.rowsScanned + stats.walPoints,
        deps.limits.maxPointsScanned,
      );
    }
    checkDeadline(ctx);
  };
  const emit = (rows: Row[]): void => {
    if (stopped) return;
    checkLimits();
    if (sink(rows)) stopped = true;
  };
  const source = (file: FileEntry, proj: Projection) => ({
    store: deps.store,
    file,
    prune,
    projection: proj,
    stats,
    footerBytes: deps.limits.footerBytes,
    ...(deps.footers ? { footers: deps.footers } : {}),
  });
  const read = (file: FileEntry, proj: Projection, onRows: (rows: Row[]) => void): Promise<void> =>
    readFile({ ...source(file, proj), onRows });
  // Files that need no dedup go to the batch consumer when there is one: no row objects are built.
  const readDirect = (file: FileEntry): Promise<void> =>
    batchSink
      ? readFileBatches({
          ...source(file, { ...projection, seq: false }),
          onBatch: (b) => {
            if (stopped) return;
            checkLimits();
            batchSink(b);
          },
        })
      : read(file, { ...projection, seq: false }, emit);

  const direct: FileEntry[] = [];
  const merged: Src[][] = [];
  for (const cluster of clusters) {
    const only = cluster[0];
    if (cluster.length === 1 && only?.file && only.file.level >= 1) direct.push(only.file);
    else merged.push(cluster);
  }
  await pool(direct, deps.limits.fileConcurrency, async (f) => {
    if (!stopped) await readDirect(f);
  });
  for (const cluster of merged) {
    if (stopped) break;
    const merger = new DedupMerger();
    for (const src of cluster) {
      if (src.rows) merger.add(src.rows);
      else if (src.file) await read(src.file, fullTags, (rows) => merger.add(rows));
      checkDeadline(ctx);
    }
    const rows = merger.drain();
    stats.mergedRows += rows.length;
    emit(rows.map(toProjection));
  }
}

/** Maps rows carrying every tag to rows carrying only the projection's tags. */
function reproject(all: readonly string[], wanted: readonly string[]): (row: Row) => Row {
  if (all === wanted || (all.length === wanted.length && all.every((t, i) => wanted[i] === t)))
    return (r) => r;
  const idx = wanted.map((t) => all.indexOf(t));
  return (r) => ({ ...r, tags: idx.map((i) => (i < 0 ? null : (r.tags[i] ?? null))) });
}

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, worker));
}

// ---------------------------------------------------------------- SELECT

function fieldName(e: Expr): string {
  switch (e.kind) {
    case "VarRef":
      return e.name;
    case "Call":
      return e.name;
    case "Paren":
      return fieldName(e.expr);
    case "Binary": {
      const parts = [fieldName(e.lhs), fieldName(e.rhs)].filter((p) => p !== "");
      return parts.join("_");
    }
    default:
      return "";
  }
}

function collectCalls(e: Expr, out: (Expr & { kind: "Call" })[]): void {
  if (e.kind === "Call") out.push(e);
  else if (e.kind === "Binary") {
    collectCalls(e.lhs, out);
    collectCalls(e.rhs, out);
  } else if (e.kind === "Paren") collectCalls(e.expr, out);
}

function containsCall(e: Expr): boolean {
  const calls: (Expr & { kind: "Call" })[] = [];
  collectCalls(e, calls);
  return calls.length > 0;
}

function hasVarRefOutsideCalls(e: Expr): boolean {
  if (e.kind === "VarRef" || e.kind === "Wildcard") return true;
  if (e.kind === "Binary") return hasVarRefOutsideCalls(e.lhs) || hasVarRefOutsideCalls(e.rhs);
  if (e.kind === "Paren") return hasVarRefOutsideCalls(e.expr);
  return false;
}

/** Names unique per result: a repeat of `mean` becomes `mean_1`, `mean_2`, ... */
function uniqueNames(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((n) => {
    let name = n;
    for (let i = 1; used.has(name); i++) name = `${n}_${i}`;
    used.add(name);
    return name;
  });
}

async function executeSelect(stmt: SelectStatement, ctx: Ctx): Promise<SeriesResult[]> {
  if (stmt.tz !== undefined && stmt.tz.toUpperCase() !== "UTC")
    throw new UnsupportedError(`tz('${stmt.tz}')`);
  const out: SeriesResult[] = [];
  const byDb = new Map<string, MeasurementSource[]>();
  for (const s of stmt.sources) {
    const db = await existingDb(ctx, s.database);
    byDb.set(db, [...(byDb.get(db) ?? []), s]);
  }
  for (const [db, sources] of byDb) {
    for (const m of await resolveMeasurements(ctx, db, sources))
      out.push(...(await selectMeasurement(stmt, ctx, db, m)));
  }
  const series = page(out, stmt.soffset, stmt.slimit);
  if (series.length > ctx.deps.limits.maxSeries)
    throw new QueryLimitError("maxSeries", series.length, ctx.deps.limits.maxSeries);
  return series;
}

interface GroupState {
  readonly tags: (string | null)[];
  readonly windows: Map<bigint, Accumulator[]>;
  readonly distinct?: Map<bigint, DistinctAccumulator>;
  /** Raw mode: [time, tie-break key, values] rows. */
  readonly raw: { time: bigint; key: string; values: Value[] }[];
}

async function selectMeasurement(
  stmt: SelectStatement,
  ctx: Ctx,
  db: string,
  m: MeasurementEntry,
): Promise<SeriesResult[]> {
  const limits = ctx.deps.limits;
  const isField = (n: string): boolean => m.fields.has(n);
  const isTag = (n: string): boolean => m.tagKeys.includes(n);

  // GROUP BY
  let interval: { intervalNs: bigint; offsetNs: bigint } | undefined;
  const groupTagSet = new Set<string>();
  for (const d of stmt.dimensions as Dimension[]) {
    if (d.kind === "time") {
      if (interval) throw new QueryError("multiple time dimensions");
      interval = d;
    } else if (d.kind === "tag") groupTagSet.add(d.name);
    else if (d.kind === "wildcard") for (const t of m.tagKeys) groupTagSet.add(t);
    else {
      const re = compileRegex(d.pattern);
      for (const t of m.tagKeys) if (re.test(t)) groupTagSet.add(t);
    }
  }
  const groupTags = [...groupTagSet].sort();

  // Fields: expand wildcards, name columns.
  const fields: Field[] = [];
  for (const f of stmt.fields) {
    if (f.expr.kind === "Wildcard") {
      const names: string[] = [];
      if (f.expr.dataType !== "tag") names.push(...m.fields.keys());
      if (f.expr.dataType !== "field") names.push(...m.tagKeys.filter((t) => !groupTagSet.has(t)));
      for (const n of names.sort()) fields.push({ expr: { kind: "VarRef", name: n } });
    } else if (f.expr.kind === "Call" && f.expr.args[0]?.kind === "Wildcard") {
      // fn(*) is fn(f) for every field, named fn_f (lastpoint: SELECT last(*) ... GROUP BY host).
      const call = f.expr;
      const numeric = !["first", "last", "count", "distinct", "mode"].includes(call.name);
      for (const [n, t] of [...m.fields].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        if (numeric && t !== "float" && t !== "integer" && t !== "unsigned") continue;
        const args = [{ kind: "VarRef", name: n } as Expr, ...call.args.slice(1)];
        fields.push({ expr: { kind: "Call", name: call.name, args }, alias: `${f.alias ?? call.name}_${n}` });
      }
    } else if (f.expr.kind === "VarRef" && f.expr.name.toLowerCase() === "time") {
      // `SELECT time, v`: time is always the first column already.
    } else fields.push(f);
  }
  if (fields.length === 0) throw new QueryError("at least 1 non-time field must be queried");
  const calls: (Expr & { kind: "Call" })[] = [];
  for (const f of fields) collectCalls(f.expr, calls);
  const aggregate = calls.length > 0;
  // One selector may bring other fields and tags of the point it selects (`SELECT max(v), host`).
  const auxMode =
    calls.length === 1 &&
    SELECTORS.has(calls[0]?.name ?? "") &&
    fields.some((f) => hasVarRefOutsideCalls(f.expr));
  if (aggregate && fields.some((f) => hasVarRefOutsideCalls(f.expr) && (!auxMode || containsCall(f.expr)))) {
    throw new QueryError("mixing aggregate and non-aggregate queries is not supported");
  }
  if (!aggregate && interval) throw new QueryError("GROUP BY requires at least one aggregate function");
  for (const c of calls) if (c.name === "now") throw new QueryError("now() is not allowed in the field list");
  const specs: CallSpec[] = calls.map(callSpec);
  for (const spec of specs) {
    const err = typeError(spec, m.fields.get(spec.field));
    if (err) throw new QueryError(err);
  }
  const distinctOnly = calls.length === 1 && calls[0]?.name === "distinct";
  if (calls.some((c) => c.name === "distinct") && !distinctOnly) {
    throw new QueryError("aggregate function distinct() cannot be combined with other functions or fields");
  }
  const columns = ["time", ...uniqueNames(fields.map((f) => f.alias ?? fieldName(f.expr)))];

  // What to read.
  const fieldNames: string[] = [];
  const tagNames: string[] = [...groupTags];
  const want = (n: string): void => {
    if (isField(n)) {
      if (!fieldNames.includes(n)) fieldNames.push(n);
    } else if (isTag(n) && !tagNames.includes(n)) tagNames.push(n);
  };
  for (const f of fields) for (const n of referencedNames(f.expr)) want(n);
  for (const n of referencedNames(stmt.condition)) want(n);
  const layout = layoutFor(tagNames, fieldNames);
  const pred: Predicate = compilePredicate(stmt.condition, layout, ctx.nowNs);

  // Time range: GROUP BY time() queries end at now() unless told otherwise, as in InfluxDB.
  const where = timeRange(stmt.condition, ctx.nowNs);
  const range: TimeRange = interval && where.max === MAX_TIME ? { min: where.min, max: ctx.nowNs } : where;
  if (range.min > range.max) return [];

  const groupIdx = groupTags.map((t) => tagNames.indexOf(t));
  const groups = new Map<string, GroupState>();
  // Rows arrive sorted by series, so consecutive rows usually share a group: compare with the last one
  // before building a key.
  let lastGroup: GroupState | undefined;
  const groupOf = (row: Row): GroupState => {
    if (lastGroup) {
      let same = true;
      for (let k = 0; k < groupIdx.length; k++) {
        if ((row.tags[groupIdx[k] as number] ?? null) !== lastGroup.tags[k]) {
          same = false;
          break;
        }
      }
      if (same) return lastGroup;
    }
    lastGroup = groupFor(row);
    return lastGroup;
  };
  const groupFor = (row: Row): GroupState => groupForTags(groupIdx.map((i) => row.tags[i] ?? null));
  const groupForTags = (vals: (string | null)[]): GroupState => {
    const key = vals.map((v) => v ?? "").join("\u0000");
    let g = groups.get(key);
    if (!g) {
      if (groups.size >= limits.maxSeries)
        throw new QueryLimitError("maxSeries", groups.size + 1, limits.maxSeries);
      g = { tags: vals, windows: new Map(), ...(distinctOnly ? { distinct: new Map() } : {}), raw: [] };
      groups.set(key, g);
    }
    return g;
  };
  const windowOf = (t: bigint): bigint =>
    interval
      ? floorDiv(t - interval.offsetNs, interval.intervalNs) * interval.intervalNs + interval.offsetNs
      : 0n;

  // Per-call value readers.
  const argIdx = specs.map((s) => {
    const i = layout.fieldIndex(s.field);
    return i;
  });

  // Raw mode evaluators (and, for a selector with other fields, evaluators over the selected row).
  const evalRaw = aggregate ? [] : fields.map((f) => compileRawExpr(f.expr, layout));
  const evalAux = auxMode
    ? fields.map((f) => (containsCall(f.expr) ? undefined : compileRawExpr(f.expr, layout)))
    : undefined;
  const fieldRefs = fields.map((f) => [...referencedNames(f.expr)].some(isField));
  const rawCap = stmt.limit > 0 ? (stmt.offset + stmt.limit) * 2 + 1024 : Number.POSITIVE_INFINITY;
  let rawRows = 0;

  // The window of the last aggregated row, reused while rows stay in it (saves bigint divisions).
  let lastWinGroup: GroupState | undefined;
  let lastWinStart = 0n;
  let lastWinEnd = 0n;
  let lastAccs: Accumulator[] | undefined;
  const sink = (rows: Row[]): boolean => {
    for (const row of rows) {
      if (row.time < range.min || row.time > range.max || !pred(row)) continue;
      if (aggregate) {
        // As in InfluxDB, which iterates each field's points: a row whose aggregated fields are all
        // null creates no window and no series.
        let any = false;
        for (let c = 0; c < argIdx.length; c++) {
          const i = argIdx[c];
          if (i !== undefined && row.values[i] !== null && row.values[i] !== undefined) any = true;
        }
        if (!any) continue;
        const g = groupOf(row);
        if (g !== lastWinGroup || row.time < lastWinStart || row.time >= lastWinEnd) {
          lastWinGroup = g;
          lastWinStart = windowOf(row.time);
          lastWinEnd = interval ? lastWinStart + interval.intervalNs : MAX_TIME + 1n;
          lastAccs = undefined;
        }
        const w = lastWinStart;
        if (g.distinct) {
          let d = g.distinct.get(w);
          if (!d) {
            d = new DistinctAccumulator();
            g.distinct.set(w, d);
          }
          const i = argIdx[0];
          d.add(i === undefined ? null : (row.values[i] ?? null), row.time);
          continue;
        }
        let accs = lastAccs ?? g.windows.get(w);
        if (!accs) {
          accs = specs.map(createAccumulator);
          g.windows.set(w, accs);
        }
        lastAccs = accs;
        const aux = auxMode ? row : undefined;
        for (let c = 0; c < accs.length; c++) {
          const i = argIdx[c];
          (accs[c] as Accumulator).add(i === undefined ? null : (row.values[i] ?? null), row.time, aux);
        }
      } else {
        const g = groupOf(row);
        const values = evalRaw.map((ev) => ev(row));
        if (!values.some((v, i) => v !== null && fieldRefs[i])) continue;
        g.raw.push({ time: row.time, key: row.tags.map((t) => t ?? "").join("\u0000"), values });
        rawRows++;
        if (rawRows > limits.maxResponseRows * 2 && stmt.limit === 0) {
          throw new QueryLimitError("maxResponseRows", rawRows, limits.maxResponseRows);
        }
        if (g.raw.length > rawCap) trimRaw(g, stmt);
      }
    }
    return false;
  };
  // Batches of files that need no dedup: filtered column by column, aggregated without rows where
  // the condition and calls allow it, else turned into rows only for the rows that may match.
  const split = splitCondition(stmt.condition, isTag, (n) => m.fields.get(n));
  const tagPreds = split.tags.map((c) => compilePredicate(c, layout, ctx.nowNs));
  const floatFilters = split.floats.map((f) => ({ f, idx: fieldNames.indexOf(f.field) }));
  const tagSet = new Set(m.tagKeys);
  const prune: PruneInput = {
    range,
    nowNs: ctx.nowNs,
    isTag: (n) => tagSet.has(n),
    ...(stmt.condition ? { condition: stmt.condition } : {}),
  };
  const allTags = tagNames.map((_, i) => i);
  const tagRow: Row = { time: 0n, tags: new Array(tagNames.length).fill(null), values: [], seq: 0n };
  const filterBatch = (b: ColumnBatch): Int32Array => {
    let rows = selectRows(b, prune, tagNames);
    if (tagPreds.length) {
      // Tag-only conditions are constant within a series run: evaluate them when the tags change.
      let k = 0;
      let prev = -1;
      let ok = false;
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as number;
        if (prev < 0 || !sameTags(b, allTags, prev, r)) {
          for (let t = 0; t < tagNames.length; t++) tagRow.tags[t] = tagValue(b.tags[t], r);
          ok = tagPreds.every((p) => p(tagRow));
          prev = r;
        }
        if (ok) rows[k++] = r;
      }
      rows = rows.subarray(0, k);
    }
    for (const { f, idx } of floatFilters) rows = applyFloatFilter(b.fields[idx] ?? NULL_COLUMN, f, rows);
    return rows;
  };
  const rowsOf = (b: ColumnBatch): void => {
    sink(batchRows(b, filterBatch(b)));
  };

  const intervalNum = interval ? Number(interval.intervalNs) : 0;
  const columnarAgg =
    aggregate &&
    !distinctOnly &&
    !auxMode &&
    split.exact &&
    (!interval || (interval.intervalNs > 0n && interval.intervalNs < 2n ** 52n));
  const lastGroupOf = (b: ColumnBatch, r: number): GroupState => {
    if (lastGroup) {
      let same = true;
      for (let k = 0; k < groupIdx.length; k++) {
        if (tagValue(b.tags[groupIdx[k] as number], r) !== lastGroup.tags[k]) {
          same = false;
          break;
        }
      }
      if (same) return lastGroup;
    }
    lastGroup = groupForTags(groupIdx.map((i) => tagValue(b.tags[i], r)));
    return lastGroup;
  };
  const aggregateBatch = (b: ColumnBatch): void => {
    if (!b.offExact || b.span + intervalNum >= 2 ** 53) {
      rowsOf(b);
      return;
    }
    let rows = filterBatch(b);
    const cols: FieldColumn[] = argIdx.map((i) =>
      i === undefined ? NULL_COLUMN : (b.fields[i] ?? NULL_COLUMN),
    );
    // As in the row path: a row whose aggregated fields are all null creates no window or series.
    if (!cols.some((c) => c.kind !== "null" && c.kind !== "string" && !c.valid)) {
      let k = 0;
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as number;
        if (cols.some((c) => isValid(c, r))) rows[k++] = r;
      }
      rows = rows.subarray(0, k);
    }
    const off = b.off;
    const changes = tagChanges(b, groupIdx);
    const w0 = interval ? windowOf(b.base) : 0n;
    const d0 = interval ? Number(b.base - w0) : 0;
    let i = 0;
    while (i < rows.length) {
      const r0 = rows[i] as number;
      const g = lastGroupOf(b, r0);
      // Window k holds offsets x with k*I <= x + d0 < (k+1)*I; all exact integers below 2^53.
      let wk = 0;
      let lo = Number.NEGATIVE_INFINITY;
      let hi = Number.POSITIVE_INFINITY;
      if (interval) {
        const a = (off[r0] as number) + d0;
        wk = Math.floor(a / intervalNum);
        if (wk * intervalNum > a) wk--;
        else if ((wk + 1) * intervalNum <= a) wk++;
        lo = wk * intervalNum - d0;
        hi = lo + intervalNum;
      }
      let j = i + 1;
      while (j < rows.length) {
        const r = rows[j] as number;
        const x = off[r] as number;
        if (x < lo || x >= hi || changes[r] !== changes[r0]) break;
        j++;
      }
      const w = interval ? w0 + BigInt(wk) * interval.intervalNs : 0n;
      let accs = g.windows.get(w);
      if (!accs) {
        accs = specs.map(createAccumulator);
        g.windows.set(w, accs);
      }
      for (let c = 0; c < accs.length; c++)
        addColumn(accs[c] as Accumulator, cols[c] as FieldColumn, b, rows, i, j);
      i = j;
    }
  };

  // Raw rows under LIMIT: in a run of one series (times ascending) only the first (last, for DESC)
  // offset+limit rows the statement accepts can be returned, so the rest are never built.
  const rawKeep = stmt.limit > 0 ? stmt.offset + stmt.limit : 0;
  const accepts = (row: Row): boolean => {
    if (!pred(row)) return false;
    for (let i = 0; i < evalRaw.length; i++)
      if (fieldRefs[i] && (evalRaw[i] as (r: Row) => Value)(row) !== null) return true;
    return false;
  };
  const rawBatch = (b: ColumnBatch): void => {
    const rows = filterBatch(b);
    if (rawKeep === 0 || !b.offExact) {
      sink(batchRows(b, rows));
      return;
    }
    const keep: number[] = [];
    const one = new Int32Array(1);
    const takeRun = (from: number, to: number): void => {
      if (to - from <= rawKeep) {
        for (let k = from; k < to; k++) keep.push(rows[k] as number);
        return;
      }
      const found: number[] = [];
      const desc = stmt.order === "desc";
      for (let n = 0; n < to - from && found.length < rawKeep; n++) {
        const r = rows[desc ? to - 1 - n : from + n] as number;
        one[0] = r;
        if (accepts(batchRows(b, one)[0] as Row)) found.push(r);
      }
      if (desc) found.reverse();
      keep.push(...found);
    };
    const off = b.off;
    const changes = tagChanges(b, allTags);
    let start = 0;
    for (let i = 1; i <= rows.length; i++) {
      const a = rows[i - 1] as number;
      const r = rows[i];
      if (r !== undefined && (off[r] as number) > (off[a] as number) && changes[r] === changes[a]) continue;
      takeRun(start, i);
      start = i;
    }
    sink(batchRows(b, Int32Array.from(keep)));
  };
  const batchSink = ctx.deps.rowEngine
    ? undefined
    : !aggregate
      ? rawBatch
      : columnarAgg
        ? aggregateBatch
        : rowsOf;

  await scan(ctx, db, m, range, stmt.condition, { tagNames, fieldNames, seq: false }, sink, batchSink);

  // Emit.
  const ordered = [...groups.values()].sort((a, b) => cmpTags(a.tags, b.tags));
  // ORDER BY time DESC walks series in descending key order too, as InfluxDB does.
  if (stmt.order === "desc") ordered.reverse();
  const result: SeriesResult[] = [];
  let totalRows = 0;
  const selectorTime = !interval && specs.length === 1 && SELECTORS.has(specs[0]?.name ?? "");
  let globalMin: bigint | undefined;
  if (interval && range.min === MIN_TIME) {
    for (const g of groups.values())
      for (const w of g.windows.keys()) if (globalMin === undefined || w < globalMin) globalMin = w;
  }
  for (const g of ordered) {
    let values: Value[][];
    if (!aggregate) {
      trimRaw(g, stmt, true);
      values = g.raw.map((r) => [r.time, ...r.values]);
    } else if (g.distinct) {
      values = [];
      const ws = [...g.distinct.keys()].sort((a, b) => (a < b ? -1 : 1));
      for (const w of ws) {
        const t = interval ? w : range.min === MIN_TIME ? 0n : range.min;
        for (const v of (g.distinct.get(w) as DistinctAccumulator).values()) values.push([t, v]);
      }
      if (stmt.order === "desc") values.reverse();
      values = page(values, stmt.offset, stmt.limit);
    } else {
      values = emitWindows(
        g,
        fields,
        calls,
        stmt,
        interval,
        range,
        globalMin,
        selectorTime,
        limits.maxResponseRows,
        evalAux,
      );
    }
    if (values.length === 0) continue;
    totalRows += values.length;
    if (totalRows > limits.maxResponseRows)
      throw new QueryLimitError("maxResponseRows", totalRows, limits.maxResponseRows);
    const s: SeriesResult = {
      name: m.name,
      ...(groupTags.length
        ? { tags: Object.fromEntries(groupTags.map((t, i) => [t, g.tags[i] ?? ""])) }
        : {}),
      columns,
      values,
      timeColumn: true,
    };
    result.push(s);
  }
  return result;
}

function cmpTags(a: (string | null)[], b: (string | null)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Sorts a group's raw rows by time (then series) and keeps only what OFFSET/LIMIT can return. */
function trimRaw(g: GroupState, stmt: SelectStatement, final = false): void {
  const dir = stmt.order === "desc" ? -1 : 1;
  g.raw.sort((a, b) =>
    a.time !== b.time ? (a.time < b.time ? -dir : dir) : a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  if (final) {
    const kept = page(g.raw, stmt.offset, stmt.limit);
    g.raw.length = 0;
    g.raw.push(...kept);
  } else if (stmt.limit > 0) g.raw.length = Math.min(g.raw.length, stmt.offset + stmt.limit);
}

function compileRawExpr(e: Expr, layout: RowLayout): (row: Row) => Value {
  switch (e.kind) {
    case "Paren":
      return compileRawExpr(e.expr, layout);
    case "VarRef": {
      const fi = e.dataType === "tag" ? undefined : layout.fieldIndex(e.name);
      if (fi !== undefined) return (r) => r.values[fi] ?? null;
      const ti = layout.tagIndex(e.name);
      if (ti !== undefined) return (r) => r.tags[ti] ?? null;
      return () => null;
    }
    case "Number":
    case "Integer":
    case "String":
    case "Boolean":
      return () => e.value;
    case "Binary": {
      const l = compileRawExpr(e.lhs, layout);
      const r = compileRawExpr(e.rhs, layout);
      return (row) => arith(e.op, l(row), r(row));
    }
    default:
      throw new QueryError(`unsupported expression in field list: ${e.kind}`);
  }
}

function postEval(e: Expr, results: Map<Expr, AggResult>): Value {
  switch (e.kind) {
    case "Call":
      return results.get(e)?.value ?? null;
    case "Paren":
      return postEval(e.expr, results);
    case "Binary":
      return arith(e.op, postEval(e.lhs, results), postEval(e.rhs, results));
    case "Number":
    case "Integer":
    case "String":
    case "Boolean":
      return e.value;
    default:
      return null;
  }
}

function emitWindows(
  g: GroupState,
  fields: readonly Field[],
  calls: readonly (Expr & { kind: "Call" })[],
  stmt: SelectStatement,
  interval: { intervalNs: bigint; offsetNs: bigint } | undefined,
  range: TimeRange,
  globalMin: bigint | undefined,
  selectorTime: boolean,
  maxRows: number,
  evalAux: readonly (((row: Row) => Value) | undefined)[] | undefined,
): Value[][] {
  const fill = stmt.fill ?? { kind: "null" };
  const rowFor = (accs: Accumulator[] | undefined, t: bigint): { row: Value[]; time: bigint } => {
    const results = new Map<Expr, AggResult>();
    let time = t;
    let aux: Row | undefined;
    if (accs) {
      calls.forEach((c, i) => {
        const r = (accs[i] as Accumulator).result();
        results.set(c, r);
        if (selectorTime && r.time !== undefined) time = r.time;
        aux = r.aux;
      });
    }
    const row = fields.map((f, i) => {
      if (!accs) return null;
      const ev = evalAux?.[i];
      if (ev) return aux ? ev(aux) : null;
      return postEval(f.expr, results);
    });
    return { row, time };
  };
  let rows: Value[][] = [];
  if (!interval) {
    const accs = g.windows.get(0n);
    if (!accs) return [];
    const { row, time } = rowFor(accs, range.min === MIN_TIME ? 0n : range.min);
    rows.push([time, ...row]);
  } else {
    const step = interval.intervalNs;
    const win = (t: bigint): bigint => floorDiv(t - interval.offsetNs, step) * step + interval.offsetNs;
    const keys = [...g.windows.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (fill.kind === "none") {
      for (const w of keys) rows.push([w, ...rowFor(g.windows.get(w), w).row]);
    } else {
      const first = range.min === MIN_TIME ? (globalMin ?? keys[0]) : win(range.min);
      const last = win(range.max);
      if (first === undefined) return [];
      const count = (last - first) / step + 1n;
      if (count > BigInt(maxRows)) throw new QueryLimitError("maxResponseRows", Number(count), maxRows);
      for (let w = first; w <= last; w += step) {
        const accs = g.windows.get(w);
        rows.push([w, ...rowFor(accs, w).row]);
      }
      // A count() is 0, not null, in an empty window under fill(null), as in InfluxDB.
      const counts = fields.map((f) => f.expr.kind === "Call" && f.expr.name === "count");
      applyFill(rows, fill, counts);
    }
  }
  if (stmt.order === "desc") rows.reverse();
  rows = page(rows, stmt.offset, stmt.limit);
  return rows;
}

function applyFill(
  rows: Value[][],
  fill: NonNullable<SelectStatement["fill"]>,
  counts: readonly boolean[],
): void {
  if (fill.kind === "none") return;
  const width = rows[0]?.length ?? 0;
  for (let c = 1; c < width; c++) {
    if (fill.kind === "null") {
      if (counts[c - 1]) for (const r of rows) if (r[c] === null) r[c] = 0n;
      continue;
    }
    if (fill.kind === "value") {
      for (const r of rows) if (r[c] === null) r[c] = fill.value;
    } else if (fill.kind === "previous") {
      let prev: Value = null;
      for (const r of rows) {
        if (r[c] === null) r[c] = prev;
        else prev = r[c] ?? null;
      }
    } else {
      // linear: interpolate between the nearest non-null windows on both sides.
      let lastIdx = -1;
      for (let i = 0; i < rows.length; i++) {
        const v = (rows[i] as Value[])[c];
        if (v === null || v === undefined) continue;
        if (lastIdx >= 0 && i - lastIdx > 1) {
          const a = Number((rows[lastIdx] as Value[])[c]);
          const b = Number(v);
          for (let j = lastIdx + 1; j < i; j++) {
            const val = a + ((b - a) * (j - lastIdx)) / (i - lastIdx);
            (rows[j] as Value[])[c] = typeof v === "bigint" ? BigInt(Math.trunc(val)) : val;
          }
        }
        lastIdx = i;
      }
    }
  }
}
