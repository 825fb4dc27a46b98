// Runs every *.test.ts under the project's source folders with node's test runner.
// Node 20's --test takes no globs, so the files are found here; the runner prints its own summary.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const roots =
  process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : ["shared", "functions", "server", "infra", "bench", "integration"];
const skip = new Set(["node_modules", "cdk.out", "data", "results"]);

function find(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const files = roots.flatMap((root) => find(root, [])).sort();
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
const result = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...files], {
  stdio: "inherit",
});
process.exit(result.status ?? 1);
