import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { fileURLToPath } from "node:url";
import { LocalWal } from "../shared/wal/local.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
let dir = "";
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it("npm start's entry listens, acknowledges a write, and exits 0 on SIGTERM with the write durable", async () => {
  dir = await mkdtemp(join(tmpdir(), "sediment-main-"));
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "server/main.ts", "--port", "0", "--data-dir", dir],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", (code) => reject(new Error(`exited early with ${code}: ${stderr}`)));
  });

  const ping = await fetch(`${url}/ping`);
  assert.equal(ping.status, 204);
  const write = await fetch(`${url}/api/v3/write_lp?db=shutdown`, { method: "POST", body: "m v=1 1" });
  assert.equal(write.status, 204);

  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code, signal] = await exited;
  assert.equal(signal, null, stderr);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /"message":"stopped"/);

  const wal = await LocalWal.open(join(dir, "wal"));
  try {
    const pending = await wal.pending("shutdown");
    assert.equal(pending.length, 1);
  } finally {
    await wal.close();
  }
});

it("a bad flag exits 2 with a message naming it", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "server/main.ts", "--port", "nope"], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const [code] = await once(child, "exit");
  assert.equal(code, 2);
  assert.match(stderr, /--port must be an integer/);
});
