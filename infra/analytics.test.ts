import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Match } from "aws-cdk-lib/assertions";
import { logicalId, synthesize, TEST_CONFIG } from "./testing.ts";

describe("Analytics", () => {
  const template = synthesize({ ...TEST_CONFIG, glueDatabaseName: "tsdb" });
  const bucket = { Ref: logicalId(template, "AWS::S3::Bucket", "StorageBucket") };
  const table = (name: string) =>
    Object.values(template.findResources("AWS::Glue::Table")).find(
      (t) => t.Properties.TableInput.Name === name,
    )?.Properties;

  it("creates the Glue database and one table per configured measurement", () => {
    template.hasResourceProperties("AWS::Glue::Database", {
      CatalogId: "123456789012",
      DatabaseInput: { Name: "tsdb" },
    });
    template.resourceCountIs("AWS::Glue::Table", 2);
    template.allResourcesProperties("AWS::Glue::Table", { DatabaseName: "tsdb", CatalogId: "123456789012" });
  });

  it("reads Parquet from the measurement's data prefix as an external table", () => {
    template.hasResourceProperties("AWS::Glue::Table", {
      TableInput: {
        Name: "telegraf__cpu",
        TableType: "EXTERNAL_TABLE",
        StorageDescriptor: {
          Location: { "Fn::Join": ["", ["s3://", bucket, "/data/telegraf/cpu/"]] },
          InputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
          OutputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
          SerdeInfo: { SerializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe" },
        },
        Parameters: Match.objectLike({ classification: "parquet", EXTERNAL: "TRUE" }),
      },
    });
  });

  it("declares the contract's columns: time, time_ns, _seq, tags, then typed fields", () => {
    const columns = (name: string) =>
      table(name)?.TableInput.StorageDescriptor.Columns.map(
        (c: { Name: string; Type: string }) => `${c.Name} ${c.Type}`,
      );
    assert.deepEqual(columns("telegraf__cpu"), [
      "time timestamp",
      "time_ns bigint",
      "_seq bigint",
      "cpu string",
      "host string",
      "usage_user double",
      "usage_idle double",
    ]);
    // `region` and `dc` are partition parts, so their tag columns come from the path.
    assert.deepEqual(columns("telegraf__net"), [
      "time timestamp",
      "time_ns bigint",
      "_seq bigint",
      "host string",
      "interface string",
      "bytes_recv bigint",
      "err_in bigint",
      "up boolean",
      "note string",
    ]);
  });

  it("projects the day partition as a date from the configured start to NOW", () => {
    const input = table("telegraf__cpu")?.TableInput;
    assert.deepEqual(
      input.PartitionKeys.map((k: { Name: string; Type: string }) => [k.Name, k.Type]),
      [["day", "string"]],
    );
    assert.deepEqual(input.Parameters, {
      classification: "parquet",
      EXTERNAL: "TRUE",
      "projection.enabled": "true",
      "projection.day.type": "date",
      "projection.day.format": "yyyy-MM-dd",
      "projection.day.range": "2025-01-01,NOW",
      "projection.day.interval": "1",
      "projection.day.interval.unit": "DAYS",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena location-template placeholders, not JS
      "storage.location.template": { "Fn::Join": ["", ["s3://", bucket, "/data/telegraf/cpu/day=${day}"]] },
    });
  });

  it("projects tag parts as enum (encoded values) or injected, and bucket parts as padded integers", () => {
    const input = table("telegraf__net")?.TableInput;
    assert.deepEqual(
      input.PartitionKeys.map((k: { Name: string }) => k.Name),
      ["day", "region", "dc", "host_bucket"],
    );
    const { Parameters: p } = input;
    assert.deepEqual(
      [p["projection.region.type"], p["projection.region.values"], p["projection.dc.type"]],
      ["enum", "eu-west-1,us%20east", "injected"],
    );
    assert.deepEqual(
      [
        p["projection.host_bucket.type"],
        p["projection.host_bucket.range"],
        p["projection.host_bucket.digits"],
      ],
      ["integer", "0,15", "2"],
    );
    assert.deepEqual(p["storage.location.template"], {
      "Fn::Join": [
        "",
        [
          "s3://",
          bucket,
          // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena location-template placeholders, not JS
          "/data/telegraf/net/day=${day}/region=${region}/dc=${dc}/host_bucket=${host_bucket}",
        ],
      ],
    });
  });

  it("creates tables after their database", () => {
    const database = logicalId(template, "AWS::Glue::Database", "AnalyticsDatabase");
    for (const t of Object.values(template.findResources("AWS::Glue::Table"))) {
      assert.ok((t.DependsOn as string[]).includes(database));
    }
  });
});
