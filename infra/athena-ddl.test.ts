import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { athenaDdl } from "./athena-ddl.ts";
import { parseConfig } from "./config.ts";

describe("athenaDdl", () => {
  it("prints CREATE DATABASE and a partition-projected table per measurement", () => {
    const config = parseConfig({
      glueDatabaseName: "tsdb",
      projectionStartDay: "2025-06-01",
      databases: [
        {
          name: "iot",
          measurements: [
            {
              name: "temp",
              tags: ["site", "sensor"],
              fields: { value: "float", ok: "boolean" },
              partitions: [
                { kind: "tag", tag: "site", values: ["a", "b"] },
                { kind: "bucket", tag: "sensor", buckets: 100 },
              ],
            },
          ],
        },
      ],
    });
    assert.equal(
      athenaDdl(config, "my-bucket"),
      `CREATE DATABASE IF NOT EXISTS \`tsdb\`;

CREATE EXTERNAL TABLE IF NOT EXISTS \`tsdb\`.\`iot__temp\` (
  \`time\` timestamp COMMENT 'event time (microseconds, UTC)',
  \`time_ns\` bigint COMMENT 'exact event time, ns since the epoch',
  \`_seq\` bigint COMMENT 'WAL sequence of the write (dedup tie-break)',
  \`sensor\` string COMMENT 'tag',
  \`value\` double COMMENT 'float field',
  \`ok\` boolean COMMENT 'boolean field'
)
PARTITIONED BY (\`day\` string, \`site\` string, \`sensor_bucket\` string)
STORED AS PARQUET
LOCATION 's3://my-bucket/data/iot/temp/'
TBLPROPERTIES (
  'classification'='parquet',
  'projection.enabled'='true',
  'projection.day.type'='date',
  'projection.day.format'='yyyy-MM-dd',
  'projection.day.range'='2025-06-01,NOW',
  'projection.day.interval'='1',
  'projection.day.interval.unit'='DAYS',
  'projection.site.type'='enum',
  'projection.site.values'='a,b',
  'projection.sensor_bucket.type'='integer',
  'projection.sensor_bucket.range'='0,99',
  'projection.sensor_bucket.digits'='2',
  'storage.location.template'='s3://my-bucket/data/iot/temp/day=\${day}/site=\${site}/sensor_bucket=\${sensor_bucket}'
);
`,
    );
  });

  it("locates names the way the writer encodes them", () => {
    const config = parseConfig({
      databases: [{ name: "my db", measurements: [{ name: "disk.io", fields: { v: "float" } }] }],
    });
    assert.match(athenaDdl(config, "b"), /LOCATION 's3:\/\/b\/data\/my%20db\/disk\.io\/'/);
  });

  it("prints only the database when no measurement is configured", () => {
    assert.equal(athenaDdl(parseConfig({}), "b"), "CREATE DATABASE IF NOT EXISTS `sediment`;\n");
  });
});
