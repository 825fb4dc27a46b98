// Composition root of the local server: builds the object store, the WAL, the write path, the router and
// the background jobs from a validated ServerConfig. Nothing else in the server constructs adapters.
import { type Authenticate, openAccess, tokenAuthenticator } from "../shared/auth/authenticator.ts";
import { ObjectStoreCatalog } from "../shared/catalog/catalog.ts";
import type { FieldTypeLookup } from "../shared/catalog/port.ts";
import type { Clock, IdSource } from "../shared/core/clock.ts";
import type { Log } from "../shared/http/log.ts";
import { createRouter } from "../shared/http/router.ts";
import type { HttpRequest, RequestHandler } from "../shared/http/types.ts";
import { createWriteHandler } from "../shared/http/write.ts";
import { parseLineProtocol } from "../shared/lineprotocol/parse.ts";
import { FsObjectStore } from "../shared/objectstore/fs.ts";
import type { ObjectStore } from "../shared/objectstore/port.ts";
import { createQueryHandler } from "../shared/query/endpoint.ts";
import { LocalWal } from "../shared/wal/local.ts";
import type { WalSource, WalTail, WalWriter } from "../shared/wal/port.ts";
import { SequenceGenerator } from "../shared/wal/sequence.ts";
import { compactionJobs } from "./compaction.ts";
import type { ServerConfig } from "./config.ts";
import type { BackgroundJob } from "./jobs.ts";
import { TailAwareCatalog } from "./tail-catalog.ts";

export interface Platform {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: Log;
  /** Reported by /ping and /health. */
  readonly version: string;
}

/** The parts other components (query, compactor) are built from. */
export interface AppParts {
  readonly config: ServerConfig;
  readonly platform: Platform;
  readonly store: ObjectStore;
  readonly catalog: ObjectStoreCatalog;
  readonly wal: WalWriter;
  /** The local WAL is also the compactor's source and the query path's tail; SQS has its own source. */
  readonly walSource: WalSource | undefined;
  readonly walTail: WalTail | undefined;
  readonly parse: typeof parseLineProtocol;
}

/** Seams for components built elsewhere (the compactor job) or replaced in tests. */
export interface AppExtensions {
  readonly query?: (parts: AppParts) => RequestHandler;
  readonly jobs?: (parts: AppParts) => readonly BackgroundJob[];
  readonly fieldTypes?: (parts: AppParts) => FieldTypeLookup;
}

export interface App {
  readonly handler: RequestHandler;
  readonly jobs: readonly BackgroundJob[];
  readonly parts: AppParts;
  /** Closes the WAL (after the server and the jobs have stopped). */
  close(): Promise<void>;
}

export async function createApp(
  config: ServerConfig,
  platform: Platform,
  extensions: AppExtensions = {},
): Promise<App> {
  const store = await buildStore(config);
  const { wal, walSource, walTail, localWal } = await buildWal(config, platform, store);
  const catalog = new ObjectStoreCatalog({ store, clock: platform.clock, ids: platform.ids });
  const parts: AppParts = {
    config,
    platform,
    store,
    catalog,
    wal,
    walSource,
    walTail,
    parse: parseLineProtocol,
  };

  const fieldTypes = extensions.fieldTypes?.(parts) ?? catalog;
  const write = createWriteHandler({
    wal,
    parse: parseLineProtocol,
    sequence: new SequenceGenerator(platform.clock),
    ids: platform.ids,
    clock: platform.clock,
    limits: { maxBodyBytes: config.maxBodyBytes, maxDecompressedBytes: config.maxDecompressedBytes },
    log: platform.log,
    fieldTypes,
  });
  const grants = config.tokens;
  const authenticate: Authenticate<HttpRequest> =
    grants.length === 0 ? openAccess : tokenAuthenticator(async () => grants);
  const query =
    extensions.query?.(parts) ??
    createQueryHandler({
      catalog: localWal ? new TailAwareCatalog(catalog, localWal, parseLineProtocol) : catalog,
      store,
      clock: platform.clock,
      parse: parseLineProtocol,
      ...(walTail ? { walTail } : {}),
      log: (entry) => platform.log.info("query", entry),
    });
  const handler = createRouter({
    write,
    authenticate,
    version: platform.version,
    log: platform.log,
    query,
  });
  return {
    handler,
    jobs: extensions.jobs?.(parts) ?? compactionJobs(parts),
    parts,
    close: async () => {
      await wal.close();
      if (walSource !== undefined && walSource !== (wal as unknown)) await walSource.close();
    },
  };
}

async function buildStore(config: ServerConfig): Promise<ObjectStore> {
  if (config.objectStore.kind === "file") return new FsObjectStore(config.objectStore.root);
  // Loaded only when asked for: file mode starts without the AWS SDK.
  const [{ S3Client }, { S3ObjectStore }] = await Promise.all([
    import("@aws-sdk/client-s3"),
    import("../shared/objectstore/s3.ts"),
  ]);
  const client = new S3Client({
    region: config.awsRegion,
    ...(config.awsEndpoint ? { endpoint: config.awsEndpoint, forcePathStyle: true } : {}),
  });
  return new S3ObjectStore({
    client,
    bucket: config.objectStore.bucket,
    conditionalWrites: config.objectStore.conditionalWrites,
  });
}

async function buildWal(
  config: ServerConfig,
  platform: Platform,
  store: ObjectStore,
): Promise<{
  wal: WalWriter;
  walSource: WalSource | undefined;
  walTail: WalTail | undefined;
  localWal?: LocalWal;
}> {
  if (config.wal.kind === "file") {
    const local = await LocalWal.open(config.wal.dir);
    return { wal: local, walSource: local, walTail: local, localWal: local };
  }
  const [{ SQSClient }, { SqsWalWriter, SqsWalSource }] = await Promise.all([
    import("@aws-sdk/client-sqs"),
    import("../shared/wal/sqs.ts"),
  ]);
  const client = new SQSClient({
    region: config.awsRegion,
    ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}),
  });
  const wal = new SqsWalWriter({
    client,
    queueUrl: config.wal.queueUrl,
    store,
    ids: platform.ids,
    clock: platform.clock,
  });
  // The server polls the queue as Lambda's event source mapping would: failed records become visible again
  // and, past the queue's maxReceiveCount, move to its dead-letter queue. No tail: queries see compacted data.
  const walSource = new SqsWalSource({ client, queueUrl: config.wal.queueUrl, store, waitTimeSeconds: 1 });
  return { wal, walSource, walTail: undefined };
}
