// Athena access to compacted data: a Glue database and one partition-projected table per configured measurement.
import { Stack } from "aws-cdk-lib";
import * as glue from "aws-cdk-lib/aws-glue";
import type * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { tableDefinitions } from "./athena-ddl.ts";
import type { SedimentConfig } from "./config.ts";

const PARQUET = {
  inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
  outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
  serde: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
};

export interface AnalyticsProps {
  readonly config: SedimentConfig;
  readonly bucket: s3.IBucket;
}

export class Analytics extends Construct {
  readonly database: glue.CfnDatabase;
  readonly databaseName: string;
  readonly tables: glue.CfnTable[];

  constructor(scope: Construct, id: string, props: AnalyticsProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    this.databaseName = props.config.glueDatabaseName;
    this.database = new glue.CfnDatabase(this, "Database", {
      catalogId,
      databaseInput: {
        name: this.databaseName,
        description: "Sediment compacted Parquet (partition projection)",
      },
    });
    this.tables = tableDefinitions(props.config, props.bucket.bucketName).map((table) => {
      const cfn = new glue.CfnTable(this, `Table-${table.name}`, {
        catalogId,
        databaseName: this.databaseName,
        tableInput: {
          name: table.name,
          description: `Sediment ${table.database}/${table.measurement}`,
          tableType: "EXTERNAL_TABLE",
          parameters: table.parameters,
          partitionKeys: table.partitionKeys.map((c) => ({ ...c })),
          storageDescriptor: {
            location: table.location,
            inputFormat: PARQUET.inputFormat,
            outputFormat: PARQUET.outputFormat,
            serdeInfo: { serializationLibrary: PARQUET.serde, parameters: { "serialization.format": "1" } },
            columns: table.columns.map((c) => ({ ...c })),
          },
        },
      });
      cfn.node.addDependency(this.database);
      return cfn;
    });
  }
}
