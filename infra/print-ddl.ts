// Prints Athena DDL for the configured measurements: `npx tsx infra/print-ddl.ts <bucket> [cdk.json]`.
import { readFileSync } from "node:fs";
import { athenaDdl } from "./athena-ddl.ts";
import { ConfigError, parseConfig } from "./config.ts";

const [bucket, cdkJson = "cdk.json"] = process.argv.slice(2);
if (!bucket) {
  process.stderr.write("usage: npx tsx infra/print-ddl.ts <bucket-name> [path/to/cdk.json]\n");
  process.exit(2);
}
try {
  const context =
    (JSON.parse(readFileSync(cdkJson, "utf8")) as { context?: Record<string, unknown> }).context ?? {};
  process.stdout.write(athenaDdl(parseConfig(context.sediment), bucket));
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exit(1);
}
