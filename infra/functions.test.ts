import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { Match, type Template } from "aws-cdk-lib/assertions";
import { build } from "esbuild";
import { DEFAULTS, parseConfig } from "./config.ts";
import {
  bundlingOptions,
  ESM_BANNER,
  PARQUET_WASM_FILE,
  partitionTemplates,
  ROLES,
  type Role,
} from "./functions.ts";
import { logicalId, PROJECT_ROOT, synthesize, TEST_CONFIG } from "./testing.ts";

const ID: Record<Role, string> = {
  writer: "FunctionsWriter",
  query: "FunctionsQuery",
  compactor: "FunctionsCompactor",
  merge: "FunctionsMerge",
  authorizer: "FunctionsAuthorizer",
};

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };

/** The statements of the default policy attached to a role's function, as "action resource" strings. */
function grants(template: Template, role: Role): string[] {
  const policy = logicalId(template, "AWS::IAM::Policy", `${ID[role]}ServiceRoleDefaultPolicy`);
  const statements = template.findResources("AWS::IAM::Policy")[policy]?.Properties.PolicyDocument
    .Statement as Statement[];
  const bucket = logicalId(template, "AWS::S3::Bucket", "StorageBucket");
  const describe = (resource: unknown, condition: unknown): string => {
    const text = JSON.stringify(resource);
    if (text === JSON.stringify({ "Fn::GetAtt": [bucket, "Arn"] })) {
      return `bucket${condition ? ` if ${JSON.stringify(condition)}` : ""}`;
    }
    const object = text.match(/"\/([^"]*)"\]\]\}$/);
    if (object && text.includes(bucket)) return `bucket/${object[1]}`;
    return text;
  };
  return statements.flatMap((s) => {
    assert.equal(s.Effect, "Allow");
    const actions = Array.isArray(s.Action) ? s.Action : [s.Action];
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    return actions.flatMap((a) => resources.map((r) => `${a} ${describe(r, s.Condition)}`));
  });
}

const list = (...prefixes: string[]) =>
  `s3:ListBucket bucket if ${JSON.stringify({ StringLike: { "s3:prefix": prefixes.map((p) => `${p}*`) } })}`;

describe("Functions", () => {
  const template = synthesize({ ...TEST_CONFIG, logLevel: "DEBUG", logRetentionDays: 14 });
  const fn = (role: Role) =>
    template.findResources("AWS::Lambda::Function")[
      logicalId(template, "AWS::Lambda::Function", `${ID[role]}`)
    ]?.Properties;

  it("runs every function on nodejs22.x, arm64, with source maps and Powertools settings", () => {
    for (const role of ROLES) {
      const props = fn(role);
      assert.equal(props.Runtime, "nodejs22.x", role);
      assert.deepEqual(props.Architectures, ["arm64"], role);
      assert.equal(props.Handler, "index.handler", role);
      const env = props.Environment.Variables;
      assert.equal(env.NODE_OPTIONS, "--enable-source-maps", role);
      assert.equal(env.POWERTOOLS_SERVICE_NAME, `sediment-${role}`, role);
      assert.equal(env.LOG_LEVEL, "DEBUG", role);
      assert.equal(env.POWERTOOLS_LOG_LEVEL, "DEBUG", role);
    }
  });

  it("sizes memory from the configuration and bounds API functions by API Gateway's 30 s", () => {
    const expected: Record<Role, [number, number]> = {
      writer: [DEFAULTS.memory.writer, 29],
      query: [DEFAULTS.memory.query, 29],
      compactor: [DEFAULTS.memory.compactor, DEFAULTS.compactorTimeoutSeconds],
      merge: [DEFAULTS.memory.merge, DEFAULTS.mergeTimeoutSeconds],
      authorizer: [DEFAULTS.memory.authorizer, 10],
    };
    for (const role of ROLES) {
      assert.deepEqual([fn(role).MemorySize, fn(role).Timeout], expected[role], role);
    }
  });

  it("logs each function to its own log group with the configured retention", () => {
    template.resourcePropertiesCountIs("AWS::Logs::LogGroup", { RetentionInDays: 14 }, ROLES.length + 1);
    for (const role of ROLES) {
      assert.deepEqual(fn(role).LoggingConfig, {
        LogGroup: { Ref: logicalId(template, "AWS::Logs::LogGroup", `${ID[role]}Logs`) },
      });
    }
  });

  it("gives writer and query one entry with different roles and environment", () => {
    const bucket = { Ref: logicalId(template, "AWS::S3::Bucket", "StorageBucket") };
    const queueUrl = { Ref: logicalId(template, "AWS::SQS::Queue", "WalQueue") };
    assert.deepEqual(fn("writer").Environment.Variables, {
      ...fn("writer").Environment.Variables,
      SEDIMENT_ROLE: "write",
      SEDIMENT_BUCKET: bucket,
      SEDIMENT_QUEUE_URL: queueUrl,
    });
    assert.equal(fn("query").Environment.Variables.SEDIMENT_ROLE, "query");
    assert.equal(fn("query").Environment.Variables.SEDIMENT_QUEUE_URL, undefined);
    for (const role of ["compactor", "merge"] as const) {
      assert.deepEqual(JSON.parse(fn(role).Environment.Variables.SEDIMENT_PARTITION_TEMPLATES), [
        {
          database: "telegraf",
          measurement: "net",
          parts: [
            { kind: "tag", tag: "region" },
            { kind: "tag", tag: "dc" },
            { kind: "bucket", tag: "host", buckets: 16 },
          ],
        },
      ]);
    }
    assert.equal(fn("query").Environment.Variables.SEDIMENT_PARTITION_TEMPLATES, undefined);
    assert.deepEqual(fn("authorizer").Environment.Variables.SEDIMENT_TOKENS_PARAMETER, "/sediment/tokens");
  });

  it("lets the writer send to the WAL, put claim checks and read the catalog, nothing more", () => {
    assert.deepEqual(
      grants(template, "writer").sort(),
      [
        `sqs:GetQueueAttributes ${JSON.stringify({ "Fn::GetAtt": [logicalId(template, "AWS::SQS::Queue", "WalQueue"), "Arn"] })}`,
        `sqs:GetQueueUrl ${JSON.stringify({ "Fn::GetAtt": [logicalId(template, "AWS::SQS::Queue", "WalQueue"), "Arn"] })}`,
        `sqs:SendMessage ${JSON.stringify({ "Fn::GetAtt": [logicalId(template, "AWS::SQS::Queue", "WalQueue"), "Arn"] })}`,
        "s3:AbortMultipartUpload bucket/wal/claims/*",
        "s3:GetObject bucket/catalog/*",
        list("catalog/"),
        "s3:PutObject bucket/wal/claims/*",
      ].sort(),
    );
  });

  it("lets the query function only read data and catalog", () => {
    assert.deepEqual(
      grants(template, "query").sort(),
      ["s3:GetObject bucket/catalog/*", "s3:GetObject bucket/data/*", list("data/", "catalog/")].sort(),
    );
  });

  it("lets the compactor read claims, write data and catalog, and delete only claims", () => {
    const s3 = grants(template, "compactor").filter((g) => g.startsWith("s3:"));
    assert.deepEqual(
      s3.sort(),
      [
        "s3:AbortMultipartUpload bucket/catalog/*",
        "s3:AbortMultipartUpload bucket/data/*",
        "s3:DeleteObject bucket/wal/claims/*",
        "s3:GetObject bucket/catalog/*",
        "s3:GetObject bucket/data/*",
        "s3:GetObject bucket/wal/claims/*",
        list("data/", "catalog/"),
        "s3:PutObject bucket/catalog/*",
        "s3:PutObject bucket/data/*",
      ].sort(),
    );
    // Queue consumption comes from the event source mapping.
    assert.ok(grants(template, "compactor").some((g) => g.startsWith("sqs:DeleteMessage ")));
    assert.ok(!grants(template, "compactor").some((g) => g.startsWith("sqs:SendMessage ")));
  });

  it("lets merge rewrite data and catalog", () => {
    assert.deepEqual(
      grants(template, "merge").sort(),
      [
        "s3:AbortMultipartUpload bucket/catalog/*",
        "s3:AbortMultipartUpload bucket/data/*",
        "s3:DeleteObject bucket/catalog/*",
        "s3:DeleteObject bucket/data/*",
        "s3:GetObject bucket/catalog/*",
        "s3:GetObject bucket/data/*",
        list("data/", "catalog/"),
        "s3:PutObject bucket/catalog/*",
        "s3:PutObject bucket/data/*",
      ].sort(),
    );
  });

  it("lets the authorizer read only the token parameter", () => {
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: logicalId(template, "AWS::IAM::Role", `${ID.authorizer}ServiceRole`) }],
      PolicyDocument: {
        Statement: [
          {
            Effect: "Allow",
            Action: "ssm:GetParameter",
            Resource: {
              "Fn::Join": ["", Match.arrayWith([":ssm:eu-west-1:123456789012:parameter/sediment/tokens"])],
            },
          },
        ],
      },
    });
  });
});

describe("Functions with KMS", () => {
  const template = synthesize({ ...TEST_CONFIG, kms: true });
  const key = logicalId(template, "AWS::KMS::Key", "StorageKey");
  const kmsActions = (role: Role) =>
    grants(template, role)
      .filter((g) => g.startsWith("kms:") && g.includes(key))
      .map((g) => g.split(" ")[0]);

  it("grants decrypt to readers and encrypt to writers of the bucket", () => {
    assert.deepEqual(kmsActions("query"), ["kms:Decrypt"]);
    assert.ok(kmsActions("writer").includes("kms:GenerateDataKey*"));
    assert.ok(kmsActions("compactor").includes("kms:GenerateDataKey*"));
    assert.deepEqual(kmsActions("authorizer"), []);
  });
});

describe("partitionTemplates", () => {
  it("refuses a configuration too large for Lambda's 4 KB of environment", () => {
    const measurements = Array.from({ length: 100 }, (_, i) => ({
      name: `m${i}`,
      tags: ["host"],
      fields: { v: "float" },
      partitions: [{ kind: "bucket", tag: "host", buckets: 8 }],
    }));
    const config = parseConfig({ databases: [{ name: "db", measurements }] });
    assert.throws(() => partitionTemplates(config), /SEDIMENT_PARTITION_TEMPLATES is \d+ bytes/);
  });
});

describe("bundlingOptions", () => {
  it("builds minified ESM with source maps, bundling the pinned AWS SDK", () => {
    const options = bundlingOptions(PROJECT_ROOT, true);
    assert.equal(options.format, "esm");
    assert.equal(options.minify, true);
    assert.equal(options.sourceMap, true);
    assert.equal(options.bundleAwsSDK, true);
    assert.deepEqual(options.externalModules, []);
    assert.match(options.banner ?? "", /createRequire/);
  });

  it("copies parquet-wasm's .wasm beside the bundle only for functions that use it", () => {
    const hook = (wasm: boolean) =>
      bundlingOptions(PROJECT_ROOT, wasm).commandHooks?.afterBundling("/in", "/out") ?? [];
    assert.deepEqual(hook(false), []);
    assert.deepEqual(hook(true), [
      `cp "${join(PROJECT_ROOT, "node_modules/parquet-wasm/node", PARQUET_WASM_FILE)}" "/out/${PARQUET_WASM_FILE}"`,
    ]);
  });

  it("produces an ESM bundle in which the AWS SDK and parquet-wasm load", async () => {
    const out = mkdtempSync(join(tmpdir(), "sediment-bundle-"));
    try {
      const options = bundlingOptions(PROJECT_ROOT, true);
      await build({
        stdin: {
          contents: [
            'import { S3Client } from "@aws-sdk/client-s3";',
            'import { writeParquet } from "parquet-wasm";',
            "export const handler = async () => [typeof S3Client, typeof writeParquet];",
          ].join("\n"),
          resolveDir: PROJECT_ROOT,
          loader: "ts",
        },
        bundle: true,
        platform: "node",
        format: "esm",
        target: options.target,
        mainFields: options.mainFields,
        banner: { js: ESM_BANNER },
        minify: true,
        outfile: join(out, "index.mjs"),
        logLevel: "silent",
      });
      for (const command of options.commandHooks?.afterBundling(PROJECT_ROOT, out) ?? []) {
        execFileSync("sh", ["-c", command]);
      }
      const bundle = (await import(pathToFileURL(join(out, "index.mjs")).href)) as {
        handler: () => Promise<string[]>;
      };
      assert.deepEqual(await bundle.handler(), ["function", "function"]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
