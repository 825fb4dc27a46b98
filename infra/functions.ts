// The Lambda functions (writer, query, compactor, merge, authorizer): bundling, runtime settings and
// least-privilege IAM, each role granted only the key prefixes of ARCHITECTURE.md it touches.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Annotations, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { BuildOptions } from "esbuild";
import type { SedimentConfig } from "./config.ts";
import { PREFIX } from "./storage.ts";

export type Role = "writer" | "query" | "compactor" | "merge" | "authorizer";
export const ROLES: readonly Role[] = ["writer", "query", "compactor", "merge", "authorizer"];

/** API Gateway HTTP APIs give up after 30 s; a slower function only burns money. */
const API_TIMEOUT_SECONDS = 29;
const AUTHORIZER_TIMEOUT_SECONDS = 10;
/** The file parquet-wasm's Node build reads from `${__dirname}` at import time. */
export const PARQUET_WASM_FILE = "parquet_wasm_bg.wasm";

/**
 * ESM output so handlers can use top-level await; the banner gives bundled CommonJS dependencies the
 * `require`, `__filename` and `__dirname` they expect (parquet-wasm's Node build reads its .wasm file from
 * `__dirname`, which is then the bundle's own folder, /var/task).
 */
export const ESM_BANNER = [
  'import { createRequire as __sedimentCreateRequire } from "node:module";',
  'import { fileURLToPath as __sedimentFileURLToPath } from "node:url";',
  'import { dirname as __sedimentDirname } from "node:path";',
  "const require = __sedimentCreateRequire(import.meta.url);",
  "const __filename = __sedimentFileURLToPath(import.meta.url);",
  "const __dirname = __sedimentDirname(__filename);",
].join(" ");

/**
 * The same bundle for tools that call esbuild directly (the benchmark's functions, the cold-start script),
 * so what they measure is what `bundlingOptions` deploys.
 */
export const LAMBDA_ESBUILD_OPTIONS = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  mainFields: ["module", "main"],
  banner: { js: ESM_BANNER },
  minify: true,
} satisfies BuildOptions;

/**
 * esbuild settings shared by every function. The AWS SDK is bundled (not taken from the runtime) so the
 * deployed version is the one in package-lock.json that the tests ran against. parquet-wasm's .wasm is
 * copied beside the bundle by a command hook: `nodeModules: ["parquet-wasm"]` would run `npm install`
 * during synth, which needs the registry and so breaks offline `cdk synth`.
 */
export function bundlingOptions(projectRoot: string, parquetWasm: boolean): nodejs.BundlingOptions {
  const wasm = join(projectRoot, "node_modules", "parquet-wasm", "node", PARQUET_WASM_FILE);
  return {
    format: nodejs.OutputFormat.ESM,
    target: LAMBDA_ESBUILD_OPTIONS.target,
    mainFields: LAMBDA_ESBUILD_OPTIONS.mainFields,
    banner: ESM_BANNER,
    minify: LAMBDA_ESBUILD_OPTIONS.minify,
    sourceMap: true,
    sourcesContent: false,
    bundleAwsSDK: true,
    externalModules: [],
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) =>
        parquetWasm ? [`cp "${wasm}" "${join(outputDir, PARQUET_WASM_FILE)}"`] : [],
    },
  };
}

interface RoleSpec {
  readonly entry: string;
  readonly description: string;
  readonly memory: number;
  readonly timeoutSeconds: number;
  readonly parquetWasm: boolean;
  readonly environment: Record<string, string>;
}

export interface FunctionsProps {
  readonly config: SedimentConfig;
  readonly bucket: s3.IBucket;
  /** The bucket's and the WAL's KMS key, when `kms` is on. */
  readonly key: kms.IKey | undefined;
  readonly queue: sqs.IQueue;
  /** Repository root: holds functions/, node_modules/ and package-lock.json. */
  readonly projectRoot: string;
}

/** Lambda caps all environment variables of a function at 4 KB; leave room for the others. */
const MAX_TEMPLATES_BYTES = 3072;

/**
 * SEDIMENT_PARTITION_TEMPLATES for the compactor and merge (shared/compactor/config.ts): the partition parts
 * of each configured measurement that has any; all others are split by day only.
 */
export function partitionTemplates(config: SedimentConfig): string {
  const rules = config.databases.flatMap((db) =>
    db.measurements
      .filter((m) => m.partitions.length > 0)
      .map((m) => ({
        database: db.name,
        measurement: m.name,
        parts: m.partitions.map((p) => (p.kind === "tag" ? { kind: "tag", tag: p.tag } : p)),
      })),
  );
  const json = JSON.stringify(rules);
  if (json.length > MAX_TEMPLATES_BYTES) {
    throw new Error(
      `SEDIMENT_PARTITION_TEMPLATES is ${json.length} bytes, above ${MAX_TEMPLATES_BYTES}: Lambda allows 4 KB ` +
        "of environment in all; configure partition parts for fewer measurements",
    );
  }
  return json;
}

export class Functions extends Construct {
  readonly writer: lambda.Function;
  readonly query: lambda.Function;
  readonly compactor: lambda.Function;
  readonly merge: lambda.Function;
  readonly authorizer: lambda.Function;

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    const { config, bucket } = props;
    const templates = partitionTemplates(config);
    const api = join(props.projectRoot, "functions", "api.ts");
    const specs: Record<Role, RoleSpec> = {
      writer: {
        entry: api,
        description: "Sediment writer: line protocol to the SQS WAL",
        memory: config.memory.writer,
        timeoutSeconds: API_TIMEOUT_SECONDS,
        // Same entry as the query function: whatever api.ts imports at load time, the writer loads too.
        parquetWasm: true,
        environment: {
          SEDIMENT_ROLE: "write",
          SEDIMENT_BUCKET: bucket.bucketName,
          SEDIMENT_QUEUE_URL: props.queue.queueUrl,
        },
      },
      query: {
        entry: api,
        description: "Sediment query: InfluxQL over Parquet in S3",
        memory: config.memory.query,
        timeoutSeconds: API_TIMEOUT_SECONDS,
        parquetWasm: true,
        environment: {
          SEDIMENT_ROLE: "query",
          SEDIMENT_BUCKET: bucket.bucketName,
        },
      },
      compactor: {
        entry: join(props.projectRoot, "functions", "compactor.ts"),
        description: "Sediment compactor: WAL batches to level-0 Parquet",
        memory: config.memory.compactor,
        timeoutSeconds: config.compactorTimeoutSeconds,
        parquetWasm: true,
        environment: { SEDIMENT_BUCKET: bucket.bucketName, SEDIMENT_PARTITION_TEMPLATES: templates },
      },
      merge: {
        entry: join(props.projectRoot, "functions", "merge.ts"),
        description: "Sediment merge: small Parquet files into larger deduplicated ones",
        memory: config.memory.merge,
        timeoutSeconds: config.mergeTimeoutSeconds,
        parquetWasm: true,
        environment: { SEDIMENT_BUCKET: bucket.bucketName, SEDIMENT_PARTITION_TEMPLATES: templates },
      },
      authorizer: {
        entry: join(props.projectRoot, "functions", "authorizer.ts"),
        description: "Sediment authorizer: API tokens from SSM",
        memory: config.memory.authorizer,
        timeoutSeconds: AUTHORIZER_TIMEOUT_SECONDS,
        parquetWasm: false,
        environment: { SEDIMENT_TOKENS_PARAMETER: config.tokensParameterName },
      },
    };
    const make = (role: Role) => this.makeFunction(role, specs[role], props);
    this.writer = make("writer");
    this.query = make("query");
    this.compactor = make("compactor");
    this.merge = make("merge");
    this.authorizer = make("authorizer");
    this.grant(props);
  }

  all(): Record<Role, lambda.Function> {
    return {
      writer: this.writer,
      query: this.query,
      compactor: this.compactor,
      merge: this.merge,
      authorizer: this.authorizer,
    };
  }

  private makeFunction(role: Role, spec: RoleSpec, props: FunctionsProps): lambda.Function {
    const id = role.charAt(0).toUpperCase() + role.slice(1);
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: props.config.logRetentionDays as logs.RetentionDays,
      // Logs are operational, not user data; bounded by retention anyway.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const common = {
      description: spec.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memory,
      timeout: Duration.seconds(spec.timeoutSeconds),
      logGroup,
      // Merges run on a schedule: a failed run is retried by the next tick, not by Lambda's async retries.
      ...(role === "merge" ? { retryAttempts: 0 } : {}),
      environment: {
        ...spec.environment,
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_SERVICE_NAME: `sediment-${role}`,
        POWERTOOLS_METRICS_NAMESPACE: "Sediment",
        POWERTOOLS_LOG_LEVEL: props.config.logLevel,
        LOG_LEVEL: props.config.logLevel,
      },
    };
    if (!existsSync(spec.entry)) {
      // Bundling is skipped (tests set `aws:cdk:bundling-stacks: []`): stand in for a missing entry so the
      // rest of the stack can still be synthesized and asserted. A real synth fails loudly instead.
      if (!Stack.of(this).bundlingRequired) {
        Annotations.of(this).addWarningV2("sediment:missing-entry", `${spec.entry} does not exist yet`);
        return new lambda.Function(this, id, {
          ...common,
          handler: "index.handler",
          code: lambda.Code.fromInline(
            "export const handler = async () => { throw new Error('placeholder'); };",
          ),
        });
      }
      throw new Error(`Lambda entry ${spec.entry} for the ${role} function does not exist`);
    }
    return new nodejs.NodejsFunction(this, id, {
      ...common,
      entry: spec.entry,
      handler: "handler",
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, "package-lock.json"),
      awsSdkConnectionReuse: false,
      bundling: bundlingOptions(props.projectRoot, spec.parquetWasm),
    });
  }

  /** Least privilege: each role gets only the prefixes and actions its path through the system needs. */
  private grant(props: FunctionsProps): void {
    const { bucket, key } = props;
    const s3Access = (
      fn: lambda.Function,
      access: { read?: string[]; write?: string[]; remove?: string[]; list?: string[] },
    ) => {
      const objects = (prefixes: string[]) => prefixes.map((p) => bucket.arnForObjects(`${p}*`));
      if (access.read?.length) {
        fn.addToRolePolicy(
          new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: objects(access.read) }),
        );
      }
      if (access.write?.length) {
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            // AbortMultipartUpload: lib-storage cleans up its own failed multipart uploads.
            actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
            resources: objects(access.write),
          }),
        );
      }
      if (access.remove?.length) {
        fn.addToRolePolicy(
          new iam.PolicyStatement({ actions: ["s3:DeleteObject"], resources: objects(access.remove) }),
        );
      }
      if (access.list?.length) {
        // Listing is a bucket-level action; the prefix condition keeps it to the role's own prefixes. It also
        // makes S3 answer 404 rather than 403 for a missing key under those prefixes.
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ["s3:ListBucket"],
            resources: [bucket.bucketArn],
            conditions: { StringLike: { "s3:prefix": access.list.map((p) => `${p}*`) } },
          }),
        );
      }
      if (key) {
        if (access.write?.length) key.grantEncryptDecrypt(fn);
        else key.grantDecrypt(fn);
      }
    };

    // Writer: append to the WAL (message or claim check), read field types from the catalog.
    props.queue.grantSendMessages(this.writer);
    s3Access(this.writer, { read: [PREFIX.catalog], write: [PREFIX.claims], list: [PREFIX.catalog] });
    // Query: read-only over data and catalog.
    s3Access(this.query, { read: [PREFIX.data, PREFIX.catalog], list: [PREFIX.data, PREFIX.catalog] });
    // Compactor: claim checks in, level-0 Parquet and catalog entries out; spent claims may be deleted early.
    // (Consuming the queue is granted by the event source mapping.)
    s3Access(this.compactor, {
      read: [PREFIX.claims, PREFIX.data, PREFIX.catalog],
      write: [PREFIX.data, PREFIX.catalog],
      remove: [PREFIX.claims],
      list: [PREFIX.data, PREFIX.catalog],
    });
    // Merge: rewrites data files and the catalog entries that describe them.
    s3Access(this.merge, {
      read: [PREFIX.data, PREFIX.catalog],
      write: [PREFIX.data, PREFIX.catalog],
      remove: [PREFIX.data, PREFIX.catalog],
      list: [PREFIX.data, PREFIX.catalog],
    });
    // Authorizer: the one token parameter. A SecureString under the AWS-managed aws/ssm key needs no KMS grant.
    this.authorizer.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["ssm:GetParameter"],
        resources: [
          Stack.of(this).formatArn({
            service: "ssm",
            resource: "parameter",
            resourceName: props.config.tokensParameterName.replace(/^\//, ""),
          }),
        ],
      }),
    );
  }
}
