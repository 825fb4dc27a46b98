// CDK entry point (`npx cdk synth`): reads the `sediment` context once and builds the stack.
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { parseConfig } from "./config.ts";
import { SedimentStack } from "./stack.ts";

const app = new App();
const stackName = app.node.tryGetContext("sediment:stackName") ?? "Sediment";
new SedimentStack(app, String(stackName), {
  config: parseConfig(app.node.tryGetContext("sediment")),
  projectRoot: fileURLToPath(new URL("..", import.meta.url)),
  // Region and account come from the CLI's profile at deploy time; the stack stays environment-agnostic.
  description: "Sediment: serverless time-series database",
});
app.synth();
