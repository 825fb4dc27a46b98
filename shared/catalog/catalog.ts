// The per-database catalog in the object store: immutable numbered versions, updated by optimistic concurrency
// (create version N+1 with if-none-match; a lost race is a value and the update is re-applied to the winner).
import type { Clock, IdSource } from "../core/clock.ts";
import { decodeSegment } from "../layout/encode.ts";
import {
  CATALOG_ROOT,
  catalogFilesPrefix,
  catalogSchemaPrefix,
  catalogVersionKey,
  parseCatalogKey,
} from "../layout/keys.ts";
import type { PartitionId, PartitionTemplate } from "../layout/partition.ts";
import { DAY_ONLY, dayRangeNs, fnv1a32, partitionPath, partsRecord } from "../layout/partition.ts";
import { compareUtf8 } from "../lineprotocol/order.ts";
import type { FieldType } from "../lineprotocol/types.ts";
import type { ObjectStore } from "../objectstore/port.ts";
import type { CatalogKind } from "./codec.ts";
import { decodeCatalogObject, encodeCatalogObject } from "./codec.ts";
import { CatalogContentionError } from "./errors.ts";
import type { CatalogPartition, FilesDoc, MeasurementSchema, SchemaDoc } from "./model.ts";
import { filesFromJson, filesToJson, schemaFromJson, schemaToJson } from "./model.ts";
import type {
  CatalogReader,
  FieldTypeLookup,
  FieldTypeMap,
  FileEntry,
  MeasurementEntry,
  PartitionEntry,
} from "./port.ts";

export interface CatalogOptions {
  readonly store: ObjectStore;
  readonly clock: Clock;
  /** Names this process's writes (read back where conditional puts are not enforced). */
  readonly ids: IdSource;
  /** How long fieldTypes() answers from memory. Default 5 s. */
  readonly fieldTypesTtlMs?: number;
  /** Versions kept behind the newest one (readers that listed an older one retry). Default 16. */
  readonly keepVersions?: number;
  readonly maxAttempts?: number;
  /** Waits between lost races (default: a timer). Tests inject an instant one. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const timerSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Backoff after the n-th lost race: exponential up to 1 s, spread by the writer id's hash (no Math.random
 * in core code) so that writers that collided once do not collide again in lockstep.
 */
export function backoffMs(attempt: number, writer: string): number {
  const cap = Math.min(1000, 5 * 2 ** Math.min(attempt, 10));
  return Math.floor(((fnv1a32(writer) % 1000) / 1000) * cap);
}

/** A proposed addition to a measurement's schema (new tag keys, first-seen field types). */
export interface SchemaProposal {
  readonly tagKeys: Iterable<string>;
  readonly fields: ReadonlyMap<string, FieldType>;
  /**
   * The sort key wanted if the measurement is new (asked only then): its keys that end up tag keys lead, in
   * this order, the other tag keys follow alphabetically. Default: alphabetical.
   */
  readonly sortKey?: () => readonly string[];
}

/**
 * The sort key after tag keys were added: the current order kept (files already written follow it), new
 * keys after it alphabetically, so a tag first seen late never reorders series already on disk. A new
 * measurement starts from the proposal's preferred order.
 */
export function extendSortKey(
  current: readonly string[],
  tagKeys: ReadonlySet<string>,
  preferred: readonly string[] = [],
): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const k of [...current, ...preferred])
    if (tagKeys.has(k) && !seen.has(k)) {
      seen.add(k);
      out.push(k);
    }
  out.push(...[...tagKeys].filter((k) => !seen.has(k)).sort(compareUtf8));
  return out;
}

export interface FilesChange {
  readonly add: readonly { readonly partition: PartitionId; readonly file: FileEntry }[];
  readonly remove: readonly string[];
  /** Merge commits: fail (without writing) unless every key in `remove` is still listed. */
  readonly requireRemovedPresent?: boolean;
}

export type CommitResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly missing: readonly string[] };

type Mutation<D, R> = { readonly write: D; readonly result: R } | { readonly unchanged: R };

interface Loaded<D> {
  readonly version: bigint;
  readonly doc: D | undefined;
}

const EMPTY_TEMPLATE_FOR = (): PartitionTemplate => DAY_ONLY;

export class ObjectStoreCatalog implements CatalogReader, FieldTypeLookup {
  private readonly decoded = new Map<string, unknown>();
  private readonly fieldTypeCache = new Map<string, { atMs: number; map: FieldTypeMap }>();

  constructor(private readonly options: CatalogOptions) {}

  // ---- generic versioned documents -------------------------------------------------------------

  private async load<D>(
    prefix: string,
    kind: CatalogKind,
    fromJson: (key: string, json: unknown) => D,
  ): Promise<Loaded<D>> {
    for (let attempt = 0; ; attempt++) {
      const listing = await this.options.store.list(prefix);
      const versions = listing
        .map((o) => ({ key: o.key, parsed: parseCatalogKey(o.key) }))
        .filter(
          (o) =>
            o.parsed !== undefined && o.key.startsWith(prefix) && !o.key.slice(prefix.length).includes("/"),
        );
      const latest = versions[versions.length - 1];
      if (latest === undefined) return { version: 0n, doc: undefined };
      const cached = this.decoded.get(latest.key);
      if (cached !== undefined) return { version: latest.parsed?.version ?? 0n, doc: cached as D };
      const bytes = await this.options.store.get(latest.key);
      if (bytes === undefined) {
        // Pruned between list and get: a newer version exists.
        if (attempt < 5) continue;
        throw new CatalogContentionError(prefix, attempt);
      }
      const obj = decodeCatalogObject(latest.key, bytes, kind);
      const doc = fromJson(latest.key, obj.body);
      if (this.decoded.size > 256) this.decoded.clear();
      this.decoded.set(latest.key, doc);
      return { version: obj.version, doc };
    }
  }

  private async update<D, R>(
    prefix: string,
    kind: CatalogKind,
    fromJson: (key: string, json: unknown) => D,
    toJson: (doc: D) => unknown,
    mutate: (current: D | undefined) => Mutation<D, R>,
  ): Promise<R> {
    const maxAttempts = this.options.maxAttempts ?? 64;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const { version, doc } = await this.load(prefix, kind, fromJson);
      const m = mutate(doc);
      if ("unchanged" in m) return m.unchanged;
      const next = version + 1n;
      const key = catalogVersionKey(prefix, next);
      const writer = this.options.ids.next();
      const put = await this.options.store.put(
        key,
        encodeCatalogObject(kind, next, writer, toJson(m.write)),
        {
          ifNoneMatch: true,
          contentType: "application/json",
        },
      );
      if (!put.ok && !(await this.isOurs(key, kind, writer))) {
        await (this.options.sleep ?? timerSleep)(backoffMs(attempt, writer));
        continue;
      }
      if (!this.options.store.conditionalWrites) {
        // The store ignores if-none-match (emulators): read back and retry if another writer's version
        // replaced ours. This narrows the race but cannot close it; see ARCHITECTURE.md.
        const back = await this.options.store.get(key);
        if (back === undefined || decodeCatalogObject(key, back, kind).writer !== writer) {
          await (this.options.sleep ?? timerSleep)(backoffMs(attempt, writer));
          continue;
        }
      }
      this.decoded.set(key, m.write);
      await this.prune(prefix, next);
      return m.result;
    }
    throw new CatalogContentionError(prefix, maxAttempts);
  }

  /**
   * A failed conditional put is not always a lost race: the SDK retries a put whose reply was lost, and the
   * retry then fails against our own first attempt. The writer id in the stored version tells which.
   */
  private async isOurs(key: string, kind: CatalogKind, writer: string): Promise<boolean> {
    const stored = await this.options.store.get(key);
    if (stored === undefined) return false;
    try {
      return decodeCatalogObject(key, stored, kind).writer === writer;
    } catch {
      return false;
    }
  }

  private async prune(prefix: string, newest: bigint): Promise<void> {
    const keep = BigInt(this.options.keepVersions ?? 16);
    if (newest <= keep || newest % 8n !== 0n) return; // prune in batches, not on every write
    const old = (await this.options.store.list(prefix))
      .map((o) => ({ key: o.key, parsed: parseCatalogKey(o.key) }))
      .filter((o) => o.parsed !== undefined && o.parsed.version < newest - keep)
      .map((o) => o.key);
    for (const key of old) this.decoded.delete(key);
    if (old.length > 0) await this.options.store.delete(old);
  }

  // ---- schema ------------------------------------------------------------------------------------

  async schema(database: string): Promise<SchemaDoc> {
    const { doc } = await this.load(catalogSchemaPrefix(database), "schema", schemaFromJson);
    return doc ?? { database, measurements: new Map() };
  }

  /**
   * Adds new measurements, tag keys and first-seen field types. A field whose type is already fixed keeps it
   * (the caller compares and reports conflicting points); a name already used as a tag (or field) is not
   * added as the other kind. Returns the schema after the update.
   */
  async ensureSchema(
    database: string,
    proposals: ReadonlyMap<string, SchemaProposal>,
    templateFor: (measurement: string) => PartitionTemplate = EMPTY_TEMPLATE_FOR,
  ): Promise<SchemaDoc> {
    return this.update(
      catalogSchemaPrefix(database),
      "schema",
      schemaFromJson,
      schemaToJson,
      (current): Mutation<SchemaDoc, SchemaDoc> => {
        const doc: SchemaDoc = current ?? { database, measurements: new Map() };
        const measurements = new Map(doc.measurements);
        let changed = false;
        for (const [name, proposal] of proposals) {
          const existing = measurements.get(name);
          const tagKeys = new Set<string>(existing?.tagKeys ?? []);
          const fields = new Map<string, FieldType>(existing?.fields ?? []);
          let touched = existing === undefined;
          for (const k of proposal.tagKeys)
            if (!tagKeys.has(k) && !fields.has(k)) {
              tagKeys.add(k);
              touched = true;
            }
          for (const [k, t] of proposal.fields)
            if (!fields.has(k) && !tagKeys.has(k)) {
              fields.set(k, t);
              touched = true;
            }
          if (!touched) continue;
          changed = true;
          const m: MeasurementSchema = {
            name,
            tagKeys: [...tagKeys].sort(compareUtf8),
            fields,
            template: existing?.template ?? templateFor(name),
            sortKey: existing
              ? extendSortKey(existing.sortKey, tagKeys)
              : extendSortKey([], tagKeys, proposal.sortKey?.()),
          };
          measurements.set(name, m);
        }
        if (!changed) return { unchanged: doc };
        const next = { database, measurements };
        return { write: next, result: next };
      },
    );
  }

  async fieldTypes(database: string): Promise<FieldTypeMap> {
    const ttl = this.options.fieldTypesTtlMs ?? 5_000;
    const now = this.options.clock.nowMs();
    const hit = this.fieldTypeCache.get(database);
    if (hit !== undefined && now - hit.atMs < ttl) return hit.map;
    const doc = await this.schema(database);
    const map: FieldTypeMap = new Map([...doc.measurements].map(([name, m]) => [name, m.fields]));
    this.fieldTypeCache.set(database, { atMs: now, map });
    return map;
  }

  // ---- files -------------------------------------------------------------------------------------

  async files(database: string, measurement: string): Promise<FilesDoc> {
    const { doc } = await this.load(catalogFilesPrefix(database, measurement), "files", filesFromJson);
    return doc ?? { database, measurement, partitions: new Map() };
  }

  /** Atomically adds and removes file entries of one measurement (re-applied on a lost race). */
  async commitFiles(database: string, measurement: string, change: FilesChange): Promise<CommitResult> {
    const removing = new Set(change.remove);
    return this.update(
      catalogFilesPrefix(database, measurement),
      "files",
      filesFromJson,
      filesToJson,
      (current): Mutation<FilesDoc, CommitResult> => {
        const doc: FilesDoc = current ?? { database, measurement, partitions: new Map() };
        if (change.requireRemovedPresent) {
          const present = new Set<string>();
          for (const p of doc.partitions.values()) for (const f of p.files) present.add(f.key);
          const missing = change.remove.filter((k) => !present.has(k));
          if (missing.length > 0) return { unchanged: { ok: false, missing } };
        }
        const partitions = new Map<string, CatalogPartition>();
        for (const [path, p] of doc.partitions) {
          const files = removing.size === 0 ? p.files : p.files.filter((f) => !removing.has(f.key));
          if (files.length > 0) partitions.set(path, { ...p, files });
        }
        for (const { partition, file } of change.add) {
          const path = partitionPath(partition);
          const p = partitions.get(path);
          const files = (p?.files ?? []).filter((f: FileEntry) => f.key !== file.key);
          files.push(file);
          partitions.set(path, { path, id: p?.id ?? partition, files });
        }
        return { write: { database, measurement, partitions }, result: { ok: true } };
      },
    );
  }

  // ---- CatalogReader -----------------------------------------------------------------------------

  async databases(): Promise<string[]> {
    const names = new Set<string>();
    const shortened = new Set<string>();
    for (const o of await this.options.store.list(CATALOG_ROOT)) {
      const parsed = parseCatalogKey(o.key);
      if (parsed?.kind === "schema") names.add(parsed.database);
      else if (parsed === undefined) {
        const seg = o.key.slice(CATALOG_ROOT.length).split("/")[0] ?? "";
        try {
          if (!decodeSegment(seg).complete) shortened.add(o.key);
        } catch {
          // not ours
        }
      }
    }
    for (const key of shortened) {
      // Shortened names decode only partly: the schema object holds the exact one.
      if (!/\/schema\/\d{20}\.json$/.test(key)) continue;
      const bytes = await this.options.store.get(key);
      if (bytes !== undefined)
        names.add(schemaFromJson(key, decodeCatalogObject(key, bytes, "schema").body).database);
    }
    return [...names].sort(compareUtf8);
  }

  async measurements(database: string): Promise<MeasurementEntry[]> {
    const doc = await this.schema(database);
    return [...doc.measurements.values()]
      .sort((a, b) => compareUtf8(a.name, b.name))
      .map((m) => ({ name: m.name, tagKeys: m.tagKeys, fields: m.fields }));
  }

  async partitions(
    database: string,
    measurement: string,
    minTimeNs: bigint,
    maxTimeNs: bigint,
  ): Promise<PartitionEntry[]> {
    const doc = await this.files(database, measurement);
    const out: PartitionEntry[] = [];
    for (const p of doc.partitions.values()) {
      const [start, end] = dayRangeNs(p.id.day);
      if (end <= minTimeNs || start > maxTimeNs) continue;
      out.push({ day: p.id.day, parts: partsRecord(p.id), files: p.files });
    }
    return out.sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  }

  /** Partitions with their layout identity, for the merge planner. */
  async catalogPartitions(database: string, measurement: string): Promise<CatalogPartition[]> {
    return [...(await this.files(database, measurement)).partitions.values()];
  }
}
