// Write-ahead log on local disk for `npm start`: append-only segment files, group commit (appends that arrive
// while an fdatasync is in flight share the next write + fdatasync), per-segment ack files, recovery on open.
//
// Segment `<n>.seg`: 8-byte header "SDWS" + version + 3 zero bytes, then frames:
//   u32 LE length of the encoded record | u32 LE CRC-32 of those 4 length bytes | encoded record (codec.ts).
// The frame CRC guards the length (a torn or garbled length must not send recovery astray); the record
// carries its own CRC over its bytes. Ack file `<n>.ack`: u32 LE frame offsets, appended and fdatasync'ed.
// Unacknowledged records are kept decoded in memory (local mode serves them to read-after-write queries);
// receive counts restart at zero after a reopen. Bodies are stored uncompressed: deflate cost about as much CPU
// as parsing the body, disk is cheap here, and segments are deleted once compacted.

import type { FileHandle } from "node:fs/promises";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { decodeRecord, type EncodedParts, encodeRecordPartsAsync } from "./codec.ts";
import { crc32 } from "./crc32.ts";
import { WalCorruptError, WalError, WalUnavailableError } from "./errors.ts";
import type { WalDelivery, WalRecord, WalSource, WalTail, WalWriter } from "./port.ts";

export interface LocalWalOptions {
  /** Roll to a new segment once the active one reaches this size. Default 64 MiB. */
  readonly segmentBytes?: number;
  /** Frames declaring a longer record are treated as corrupt during recovery. Default 1 GiB. */
  readonly maxRecordBytes?: number;
}

export interface RecoveryReport {
  readonly segments: number;
  /** Unacknowledged records found. */
  readonly records: number;
  /** Where a torn or corrupt tail was cut off; everything before it was kept. */
  readonly truncated: readonly {
    readonly segment: string;
    readonly offset: number;
    readonly droppedBytes: number;
    readonly reason: string;
  }[];
}

const SEGMENT_HEADER = new Uint8Array([0x53, 0x44, 0x57, 0x53, 1, 0, 0, 0]); // "SDWS", version 1
const FRAME_HEADER = 8;
const SEGMENT_NAME = /^(\d{12})\.seg$/;

type EntryState = "ready" | "inflight" | "acked";

interface Entry {
  readonly id: string;
  readonly segment: Segment;
  readonly offset: number;
  readonly record: WalRecord;
  state: EntryState;
  receiveCount: number;
}

interface Segment {
  readonly number: number;
  readonly path: string;
  readonly ackPath: string;
  size: number;
  /** Entries not yet acknowledged. */
  live: number;
  total: number;
}

interface PendingAppend {
  readonly frames: readonly EncodedParts[];
  readonly records: readonly WalRecord[];
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class LocalWal implements WalWriter, WalSource, WalTail {
  private entries: Entry[] = [];
  private readonly byId = new Map<string, Entry>();
  private readonly segments = new Map<number, Segment>();
  private queue: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private ackChain: Promise<unknown> = Promise.resolve();
  private failure: Error | undefined;
  private closed = false;
  private waiters: (() => void)[] = [];
  /** Write + fdatasync rounds and the records they carried (group commit makes rounds < records). */
  readonly stats = { flushes: 0, records: 0 };

  private constructor(
    readonly dir: string,
    private active: Segment,
    private handle: FileHandle,
    private readonly segmentBytes: number,
    readonly recovery: RecoveryReport,
  ) {}

  static async open(dir: string, options: LocalWalOptions = {}): Promise<LocalWal> {
    // Ack files store frame offsets as u32, so a segment must stay well below 4 GiB.
    const segmentBytes = Math.min(options.segmentBytes ?? 64 * 1024 * 1024, 1024 * 1024 * 1024);
    const maxRecordBytes = options.maxRecordBytes ?? 1024 * 1024 * 1024;
    await mkdir(dir, { recursive: true });
    const numbers = (await readdir(dir))
      .flatMap((name) => {
        const match = SEGMENT_NAME.exec(name);
        return match?.[1] === undefined ? [] : [Number(match[1])];
      })
      .sort((a, b) => a - b);

    const recovered: { segment: Segment; frames: { offset: number; record: WalRecord }[] }[] = [];
    const truncated: RecoveryReport["truncated"][number][] = [];
    const acks: Set<number>[] = [];
    for (const number of numbers) {
      const segment = newSegment(dir, number);
      const scan = await scanSegment(segment.path, maxRecordBytes);
      // Acks must name intact frames only: an ack of a frame cut off below would otherwise acknowledge the
      // record a later append writes at the same offset, and that record could be deleted unread.
      acks.push(await recoverAcks(dir, segment.ackPath, scan.frames));
      if (scan.cut !== undefined) {
        await truncateFile(segment.path, scan.cut.offset, scan.cut.offset < SEGMENT_HEADER.length);
        truncated.push({ segment: segment.path, ...scan.cut });
      }
      segment.size = Math.max(SEGMENT_HEADER.length, scan.cut?.offset ?? scan.size);
      recovered.push({ segment, frames: scan.frames });
    }

    let records = 0;
    recovered.forEach(({ frames }, i) => {
      for (const frame of frames) if (!acks[i]?.has(frame.offset)) records += 1;
    });

    const last = recovered.at(-1);
    const active =
      last !== undefined && last.segment.size < segmentBytes
        ? last.segment
        : await createSegment(dir, (numbers.at(-1) ?? 0) + 1);
    const handle = await open(active.path, "r+");
    const wal = new LocalWal(dir, active, handle, segmentBytes, {
      segments: recovered.length,
      records,
      truncated,
    });
    wal.segments.set(active.number, active);
    recovered.forEach(({ segment, frames }, i) => {
      wal.segments.set(segment.number, segment);
      for (const frame of frames) {
        segment.total += 1;
        if (acks[i]?.has(frame.offset)) continue;
        segment.live += 1;
        wal.addEntry(segment, frame.offset, frame.record);
      }
    });
    for (const segment of [...wal.segments.values()]) await wal.dropIfDone(segment);
    return wal;
  }

  async append(records: readonly WalRecord[]): Promise<void> {
    this.assertWritable();
    if (records.length === 0) return;
    const frames = await Promise.all(records.map((r) => encodeRecordPartsAsync(r, { compress: false })));
    this.assertWritable();
    await new Promise<void>((resolve, reject) => {
      this.queue.push({ frames, records, resolve, reject });
      this.kick();
    });
  }

  async receive(max: number): Promise<WalDelivery[]> {
    const out: WalDelivery[] = [];
    for (const entry of this.entries) {
      if (out.length >= max) break;
      if (entry.state !== "ready") continue;
      entry.state = "inflight";
      entry.receiveCount += 1;
      out.push({ id: entry.id, record: entry.record, receiveCount: entry.receiveCount });
    }
    return out;
  }

  /** Resolves once a record is appended after this call (or at once if some are ready now). */
  waitForRecords(): Promise<void> {
    if (this.entries.some((e) => e.state === "ready")) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  ack(ids: readonly string[]): Promise<void> {
    const run = this.ackChain.then(() => this.persistAcks(ids));
    this.ackChain = run.catch(() => undefined);
    return run;
  }

  async release(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      const entry = this.lookup(id);
      if (entry?.state === "inflight") entry.state = "ready";
    }
    this.wake();
  }

  async pending(database: string): Promise<WalRecord[]> {
    return this.entries
      .filter((e) => e.state !== "acked" && e.record.database === database)
      .map((e) => e.record);
  }

  async pendingDatabases(): Promise<string[]> {
    const names = new Set<string>();
    for (const e of this.entries) if (e.state !== "acked") names.add(e.record.database);
    return [...names].sort();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.ackChain;
    await this.handle.close();
  }

  private assertWritable(): void {
    if (this.closed) throw new WalUnavailableError(`local WAL in ${this.dir} is closed`);
    if (this.failure)
      throw new WalUnavailableError(
        `local WAL in ${this.dir} stopped after a failed write (${this.failure.message}); restart the server to recover from its segment files`,
        { cause: this.failure },
      );
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  /** Group commit: everything queued while the previous write + fdatasync ran goes out in one. */
  private async flushLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      if (this.failure) {
        for (const item of batch)
          item.reject(new WalUnavailableError("local WAL failed", { cause: this.failure }));
        continue;
      }
      try {
        await this.writeBatch(batch);
        for (const item of batch) item.resolve();
      } catch (cause) {
        this.failure = cause instanceof Error ? cause : new Error(String(cause));
        const error = new WalUnavailableError(
          `appending to local WAL segment ${this.active.path} failed: ${this.failure.message}; check free disk space and permissions`,
          { cause },
        );
        for (const item of batch) item.reject(error);
      }
      this.wake();
    }
  }

  private async writeBatch(batch: readonly PendingAppend[]): Promise<void> {
    if (this.active.size >= this.segmentBytes) await this.roll();
    const segment = this.active;
    const buffers: Uint8Array[] = [];
    const placed: { offset: number; record: WalRecord }[] = [];
    let at = segment.size;
    for (const item of batch) {
      item.frames.forEach((frame, i) => {
        const header = new Uint8Array(FRAME_HEADER);
        const view = new DataView(header.buffer);
        view.setUint32(0, frame.length, true);
        view.setUint32(4, crc32(header.subarray(0, 4)), true);
        buffers.push(header, frame.header, frame.body);
        placed.push({ offset: at, record: item.records[i] as WalRecord });
        at += FRAME_HEADER + frame.length;
      });
    }
    await writeAll(this.handle, buffers, segment.size);
    await this.handle.datasync();
    this.stats.flushes += 1;
    this.stats.records += placed.length;
    segment.size = at;
    for (const { offset, record } of placed) {
      segment.total += 1;
      segment.live += 1;
      this.addEntry(segment, offset, record);
    }
  }

  private async roll(): Promise<void> {
    const previous = this.active;
    const next = await createSegment(this.dir, previous.number + 1);
    const handle = await open(next.path, "r+");
    await this.handle.close();
    this.handle = handle;
    this.active = next;
    this.segments.set(next.number, next);
    await this.ackChain;
    await this.dropIfDone(previous);
  }

  private async persistAcks(ids: readonly string[]): Promise<void> {
    const bySegment = new Map<Segment, Entry[]>();
    for (const id of ids) {
      const entry = this.lookup(id);
      if (entry === undefined || entry.state === "acked") continue;
      const list = bySegment.get(entry.segment) ?? [];
      list.push(entry);
      bySegment.set(entry.segment, list);
    }
    for (const [segment, entries] of bySegment) {
      const bytes = new Uint8Array(4 * entries.length);
      const view = new DataView(bytes.buffer);
      entries.forEach((entry, i) => {
        view.setUint32(4 * i, entry.offset, true);
      });
      const handle = await open(segment.ackPath, "a");
      try {
        await handle.write(bytes);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      for (const entry of entries) {
        entry.state = "acked";
        this.byId.delete(entry.id);
      }
      segment.live -= entries.length;
    }
    if (bySegment.size > 0) this.entries = this.entries.filter((e) => e.state !== "acked");
    for (const segment of bySegment.keys()) await this.dropIfDone(segment);
  }

  /** Deletes a segment (and its ack file) once every record in it is acknowledged and it is no longer written. */
  private async dropIfDone(segment: Segment): Promise<void> {
    if (segment === this.active || segment.live > 0 || !this.segments.has(segment.number)) return;
    this.segments.delete(segment.number);
    await rm(segment.path, { force: true });
    await rm(segment.ackPath, { force: true });
    await syncDir(this.dir);
  }

  private addEntry(segment: Segment, offset: number, record: WalRecord): void {
    const entry: Entry = {
      id: `${segment.number}:${offset}`,
      segment,
      offset,
      record,
      state: "ready",
      receiveCount: 0,
    };
    this.entries.push(entry);
    this.byId.set(entry.id, entry);
  }

  private lookup(id: string): Entry | undefined {
    if (!/^\d+:\d+$/.test(id))
      throw new WalError(`"${id}" is not a local WAL delivery id (expected <segment>:<offset>)`);
    return this.byId.get(id);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

function newSegment(dir: string, number: number): Segment {
  const name = String(number).padStart(12, "0");
  return {
    number,
    path: join(dir, `${name}.seg`),
    ackPath: join(dir, `${name}.ack`),
    size: 0,
    live: 0,
    total: 0,
  };
}

async function createSegment(dir: string, number: number): Promise<Segment> {
  const segment = newSegment(dir, number);
  const handle = await open(segment.path, "wx");
  try {
    await handle.write(SEGMENT_HEADER);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await syncDir(dir);
  segment.size = SEGMENT_HEADER.length;
  return segment;
}

interface SegmentScan {
  readonly size: number;
  readonly frames: { offset: number; record: WalRecord }[];
  readonly cut?: { offset: number; droppedBytes: number; reason: string };
}

/** Reads every intact frame; the first torn or corrupt one ends the scan and marks where to cut. */
async function scanSegment(path: string, maxRecordBytes: number): Promise<SegmentScan> {
  const bytes = new Uint8Array(await readFile(path));
  const size = bytes.length;
  const cut = (offset: number, reason: string): SegmentScan => ({
    size,
    frames,
    cut: { offset, droppedBytes: size - offset, reason },
  });
  const frames: { offset: number; record: WalRecord }[] = [];
  if (size < SEGMENT_HEADER.length) return cut(0, "segment header is torn");
  for (let i = 0; i < 4; i++)
    if (bytes[i] !== SEGMENT_HEADER[i])
      throw new WalCorruptError(
        `${path} is not a Sediment WAL segment (bad magic); move it out of the WAL folder`,
      );
  if (bytes[4] !== SEGMENT_HEADER[4])
    throw new WalCorruptError(
      `${path} has segment format version ${bytes[4]}, this build reads ${SEGMENT_HEADER[4]}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = SEGMENT_HEADER.length;
  while (offset < size) {
    if (size - offset < FRAME_HEADER) return cut(offset, "frame header is torn");
    const length = view.getUint32(offset, true);
    if (view.getUint32(offset + 4, true) !== crc32(bytes.subarray(offset, offset + 4)))
      return cut(offset, "frame length checksum mismatch");
    if (length > maxRecordBytes) return cut(offset, `frame length ${length} exceeds ${maxRecordBytes}`);
    const end = offset + FRAME_HEADER + length;
    if (end > size) return cut(offset, "record is torn");
    try {
      frames.push({ offset, record: decodeRecord(bytes.subarray(offset + FRAME_HEADER, end)) });
    } catch (error) {
      if (error instanceof WalCorruptError) return cut(offset, error.reason);
      throw error;
    }
    offset = end;
  }
  return { size, frames };
}

async function truncateFile(path: string, offset: number, rewriteHeader: boolean): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.truncate(rewriteHeader ? 0 : offset);
    if (rewriteHeader) await handle.write(SEGMENT_HEADER, 0, SEGMENT_HEADER.length, 0);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * The acknowledged offsets of a segment, keeping only those of its intact frames. When the ack file holds
 * anything else (offsets of frames recovery cuts off, or a torn last entry that later appends would
 * misalign), it is rewritten with just the kept offsets before the segment is truncated or appended to.
 */
async function recoverAcks(
  dir: string,
  path: string,
  frames: readonly { offset: number }[],
): Promise<Set<number>> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return new Set();
    throw error;
  }
  const intact = new Set(frames.map((f) => f.offset));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const acked = new Set<number>();
  // A torn last entry (fewer than 4 bytes) is dropped: that ack was never confirmed, so redelivery is right.
  let clean = bytes.length % 4 === 0;
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    const offset = view.getUint32(i, true);
    if (intact.has(offset)) acked.add(offset);
    else clean = false;
  }
  if (!clean) await rewriteAcks(dir, path, acked);
  return acked;
}

/** Replaces an ack file atomically (temp file, fdatasync, rename, directory fsync). */
async function rewriteAcks(dir: string, path: string, offsets: ReadonlySet<number>): Promise<void> {
  const bytes = new Uint8Array(4 * offsets.size);
  const view = new DataView(bytes.buffer);
  [...offsets].forEach((offset, i) => {
    view.setUint32(4 * i, offset, true);
  });
  const temp = `${path}.tmp`;
  const handle = await open(temp, "w");
  try {
    await handle.write(bytes);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await syncDir(dir);
}

async function writeAll(handle: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let total = 0;
  for (const b of buffers) total += b.length;
  const { bytesWritten } = await handle.writev(buffers, position);
  if (bytesWritten === total) return;
  // Short vectored write: finish the remainder from one contiguous copy.
  const rest = Buffer.concat(buffers).subarray(bytesWritten);
  let done = 0;
  while (done < rest.length) {
    const r = await handle.write(rest, done, rest.length - done, position + bytesWritten + done);
    done += r.bytesWritten;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
