// ObjectStore on Amazon S3 (or an S3 emulator). Only this file imports the S3 SDK.
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { compareKeys, NotFoundError, ObjectStoreError, validateKey } from "./errors.ts";
import type { ObjectInfo, ObjectStore, PutOptions, PutResult } from "./port.ts";

/** Above this, bodies go up as a multipart upload (fauxqs rejects single PUTs over ~11 MiB; S3 likes parts). */
const MULTIPART_THRESHOLD = 8 * 1024 * 1024;
const PART_SIZE = 8 * 1024 * 1024;
const DELETE_CHUNK = 1000;

export interface S3ObjectStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Whether the endpoint enforces IfNoneMatch / IfMatch (AWS does; fauxqs ignores them). */
  readonly conditionalWrites: boolean;
}

export class S3ObjectStore implements ObjectStore {
  readonly conditionalWrites: boolean;
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.conditionalWrites = options.conditionalWrites;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    validateKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await bodyBytes(out.Body);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.fail("get", key, error);
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array> {
    validateKey(key);
    if (end <= start) {
      if ((await this.head(key)) === undefined) throw new NotFoundError("getRange", key, this.where());
      return new Uint8Array(0);
    }
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end - 1}` }),
      );
      return await bodyBytes(out.Body);
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError("getRange", key, this.where());
      // A range starting at or past the end: S3 answers 416; the port answers empty bytes.
      if (statusOf(error) === 416) return new Uint8Array(0);
      throw this.fail("getRange", key, error);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    validateKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        key,
        size: out.ContentLength ?? 0,
        ...(out.ETag === undefined ? {} : { etag: out.ETag }),
        ...(out.LastModified === undefined ? {} : { lastModifiedMs: out.LastModified.getTime() }),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw this.fail("head", key, error);
    }
  }

  async put(key: string, body: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    validateKey(key);
    const input: PutObjectCommandInput = {
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
      ...(options.ifNoneMatch ? { IfNoneMatch: "*" } : {}),
      ...(options.ifMatch === undefined ? {} : { IfMatch: options.ifMatch }),
    };
    try {
      if (body.length > MULTIPART_THRESHOLD) {
        // lib-storage passes IfNoneMatch/IfMatch on to CompleteMultipartUpload, where S3 checks them.
        const upload = new Upload({ client: this.client, params: input, partSize: PART_SIZE, queueSize: 4 });
        const out = await upload.done();
        return out.ETag === undefined ? { ok: true } : { ok: true, etag: out.ETag };
      }
      const out = await this.client.send(new PutObjectCommand(input));
      return out.ETag === undefined ? { ok: true } : { ok: true, etag: out.ETag };
    } catch (error) {
      const status = statusOf(error);
      // 412: the condition failed. 409: a concurrent conditional write to the same key is in progress;
      // report it as a lost race too, so the caller re-reads and decides.
      if (status === 412 || status === 409)
        return { ok: false, reason: options.ifNoneMatch ? "already-exists" : "precondition-failed" };
      throw this.fail("put", key, error);
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        );
      } catch (error) {
        throw this.fail("list", prefix, error);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        out.push({
          key: object.Key,
          size: object.Size ?? 0,
          ...(object.ETag === undefined ? {} : { etag: object.ETag }),
          ...(object.LastModified === undefined ? {} : { lastModifiedMs: object.LastModified.getTime() }),
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) validateKey(key);
    for (let i = 0; i < keys.length; i += DELETE_CHUNK) {
      const chunk = keys.slice(i, i + DELETE_CHUNK);
      let errors: { Key?: string; Code?: string; Message?: string }[];
      try {
        const out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        errors = out.Errors ?? [];
      } catch (error) {
        throw this.fail("delete", chunk[0], error);
      }
      const failed = errors.filter((e) => e.Code !== "NoSuchKey");
      if (failed.length > 0) {
        const first = failed[0];
        throw new ObjectStoreError(
          `deleting ${failed.length} of ${chunk.length} objects in ${this.where()} failed, first "${first?.Key}": ${first?.Code} ${first?.Message ?? ""}`.trim(),
          "delete",
          first?.Key,
        );
      }
    }
  }

  private where(): string {
    return `bucket "${this.bucket}"`;
  }

  private fail(operation: string, key: string | undefined, cause: unknown): ObjectStoreError {
    const name = cause instanceof Error ? cause.name : "error";
    const status = statusOf(cause);
    return new ObjectStoreError(
      `S3 ${operation} of "${key ?? ""}" in ${this.where()} failed: ${name}${status === undefined ? "" : ` (HTTP ${status})`}; check the bucket exists and the role may access it`,
      operation,
      key,
      { cause },
    );
  }
}

async function bodyBytes(body: unknown): Promise<Uint8Array> {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (
    typeof body === "object" &&
    "transformToByteArray" in body &&
    typeof body.transformToByteArray === "function"
  )
    return (await body.transformToByteArray()) as Uint8Array;
  throw new ObjectStoreError("S3 returned a body that is not a stream", "get", undefined);
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("$metadata" in error)) return undefined;
  const metadata = error.$metadata as { httpStatusCode?: number } | undefined;
  return metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = error instanceof Error ? error.name : undefined;
  if (name === "NoSuchBucket") return false;
  return name === "NoSuchKey" || name === "NotFound" || statusOf(error) === 404;
}
