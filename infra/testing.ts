// Test support for infra/*.test.ts: synthesize SedimentStack without bundling and find resources by role.
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { parseConfig } from "./config.ts";
import { SedimentStack } from "./stack.ts";

export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** A configuration exercising every table shape: day only; enum tag, injected tag and hash-bucket parts. */
export const TEST_CONFIG = {
  retentionDays: 90,
  projectionStartDay: "2025-01-01",
  databases: [
    {
      name: "telegraf",
      measurements: [
        { name: "cpu", tags: ["cpu", "host"], fields: { usage_user: "float", usage_idle: "float" } },
        {
          name: "net",
          tags: ["host", "region", "interface", "dc"],
          fields: { bytes_recv: "unsigned", err_in: "integer", up: "boolean", note: "string" },
          partitions: [
            { kind: "tag", tag: "region", values: ["eu-west-1", "us east"] },
            { kind: "tag", tag: "dc" },
            { kind: "bucket", tag: "host", buckets: 16 },
          ],
        },
      ],
    },
  ],
};

/**
 * Synthesize without bundling (`aws:cdk:bundling-stacks: []`) and without the built-in CloudFormation
 * schema validation, whose WebAssembly engine costs 10 s of CPU in every test process (`cdk synth` runs it).
 */
export function synthesize(sediment: Record<string, unknown> = TEST_CONFIG): Template {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] }, builtinCloudFormationValidation: false });
  const stack = new SedimentStack(app, "Test", {
    config: parseConfig(sediment),
    projectRoot: PROJECT_ROOT,
    env: { account: "123456789012", region: "eu-west-1" },
  });
  return Template.fromStack(stack);
}

/** Logical id of the one resource of `type` whose logical id starts with `prefix`. */
export function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1)
    throw new Error(`expected one ${type} starting with ${prefix}, found ${ids.join(", ") || "none"}`);
  return ids[0] as string;
}
