import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { openAccess } from "../auth/authenticator.ts";
import { ManualClock, SequentialIds } from "../core/clock.ts";
import { parseLineProtocol } from "../lineprotocol/parse.ts";
import type { FieldType } from "../lineprotocol/types.ts";
import { WalUnavailableError } from "../wal/errors.ts";
import type { WalRecord } from "../wal/port.ts";
import { SequenceGenerator } from "../wal/sequence.ts";
import { createRouter } from "./router.ts";
import { FailingWal, RecordingWal, request, StaticFieldTypes } from "./testing.ts";
import type { HttpResponse } from "./types.ts";
import { createWriteHandler } from "./write.ts";

const NOW = 1_700_000_000_123_000_000n;

function setup(
  options: {
    wal?: RecordingWal;
    fieldTypes?: StaticFieldTypes;
    maxBodyBytes?: number;
    maxDecompressedBytes?: number;
  } = {},
) {
  const wal = options.wal ?? new RecordingWal();
  const clock = new ManualClock(NOW);
  const write = createWriteHandler({
    wal,
    parse: parseLineProtocol,
    sequence: new SequenceGenerator(clock),
    ids: new SequentialIds("w"),
    clock,
    limits: {
      maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
      maxDecompressedBytes: options.maxDecompressedBytes ?? 4 * 1024 * 1024,
    },
    ...(options.fieldTypes ? { fieldTypes: options.fieldTypes } : {}),
  });
  const router = createRouter({ write, authenticate: openAccess, version: "test" });
  return { router, wal, clock };
}

function body(response: HttpResponse): unknown {
  assert.equal(typeof response.body, "string");
  return JSON.parse(response.body as string);
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("write: success", () => {
  for (const [name, target] of [
    ["v1 /write", "/write?db=telemetry"],
    ["v2 /api/v2/write", "/api/v2/write?bucket=telemetry&org=ignored"],
    ["v3 /api/v3/write_lp", "/api/v3/write_lp?db=telemetry"],
  ] as const) {
    it(`${name} answers 204 and appends one record holding the body as is`, async () => {
      const { router, wal } = setup();
      const req = request(
        "POST",
        target,
        "cpu,host=a usage=1.5 1700000000000000000\ncpu,host=b usage=2 1700000000000000001\n",
      );
      const res = await router(req);
      assert.equal(res.status, 204);
      assert.equal(wal.records.length, 1);
      const record = wal.records[0];
      assert.ok(record);
      assert.equal(record.database, "telemetry");
      assert.equal(record.body, req.body, "an all-good body is passed through without copying");
      assert.equal(record.writeId, "w-000001");
      assert.equal(record.receivedAtNs, NOW);
      assert.equal(record.sequence, NOW);
    });
  }

  it("stamps points without a timestamp with the injected receive time, recoverable from the record", async () => {
    const { router, wal } = setup();
    assert.equal((await router(request("POST", "/write?db=d", "m v=1i"))).status, 204);
    const record = wal.records[0];
    assert.ok(record);
    const reparsed = parseLineProtocol(record.body, {
      precision: record.precision,
      defaultTime: record.receivedAtNs,
    });
    assert.equal(reparsed.points[0]?.time, NOW);
  });

  it("records the precision per flavor (v1/v2 default ns, v3 default auto, explicit values kept)", async () => {
    const cases: [string, string][] = [
      ["/write?db=d", "ns"],
      ["/write?db=d&precision=s", "s"],
      ["/write?db=d&precision=u", "us"],
      ["/api/v2/write?bucket=d&precision=ms", "ms"],
      ["/api/v3/write_lp?db=d", "auto"],
      ["/api/v3/write_lp?db=d&precision=second", "s"],
    ];
    for (const [target, precision] of cases) {
      const { router, wal } = setup();
      assert.equal((await router(request("POST", target, "m v=1 1"))).status, 204, target);
      assert.equal(wal.records[0]?.precision, precision, target);
    }
  });

  it('v2 bucket "db/rp" (InfluxDB 1.8\'s compatibility API) writes to db; v1 rp is ignored', async () => {
    const { router, wal } = setup();
    assert.equal(
      (await router(request("POST", "/api/v2/write?bucket=telegraf%2Fautogen", "m v=1 1"))).status,
      204,
    );
    assert.equal((await router(request("POST", "/write?db=telegraf&rp=weekly", "m v=1 1"))).status, 204);
    assert.deepEqual(
      wal.records.map((r) => r.database),
      ["telegraf", "telegraf"],
    );
  });

  it("drops comment and blank lines from the record body", async () => {
    const { router, wal } = setup();
    const res = await router(request("POST", "/write?db=d", "# header\nm v=1 1\n\nm v=2 2\n"));
    assert.equal(res.status, 204);
    assert.equal(text(wal.records[0]?.body ?? new Uint8Array()), "m v=1 1\nm v=2 2");
  });

  it("an empty body is 204 and writes nothing", async () => {
    const { router, wal } = setup();
    assert.equal((await router(request("POST", "/api/v2/write?bucket=d", ""))).status, 204);
    assert.equal(wal.records.length, 0);
  });

  it("accepts gzip bodies and stores the decompressed lines", async () => {
    const { router, wal } = setup();
    const lines = "m,t=x v=1 1\nm,t=y v=2 2";
    const res = await router(
      request("POST", "/api/v2/write?bucket=d", gzipSync(lines), { "content-encoding": "gzip" }),
    );
    assert.equal(res.status, 204);
    assert.equal(text(wal.records[0]?.body ?? new Uint8Array()), lines);
  });
});

describe("write: request errors", () => {
  const cases: { name: string; target: string; status: number; body: unknown }[] = [
    { name: "v1 missing db", target: "/write", status: 400, body: { error: "database is required" } },
    { name: "v1 empty db", target: "/write?db=", status: 400, body: { error: "database is required" } },
    {
      name: "v2 missing bucket",
      target: "/api/v2/write?org=o",
      status: 404,
      body: { code: "not found", message: "bucket not found" },
    },
    {
      name: "v3 missing db",
      target: "/api/v3/write_lp",
      status: 400,
      body: { error: "missing field `db`", data: null },
    },
    {
      name: "v2 bad precision (InfluxDB 2 wording)",
      target: "/api/v2/write?bucket=d&precision=h",
      status: 400,
      body: { code: "invalid", message: "invalid precision; valid precision units are ns, us, ms, and s" },
    },
    {
      name: "v1 bad precision",
      target: "/write?db=d&precision=fortnight",
      status: 400,
      body: { error: 'invalid precision "fortnight": valid precision units are n, u, ms, s, m and h' },
    },
    {
      name: "v3 bad precision",
      target: "/api/v3/write_lp?db=d&precision=xs",
      status: 400,
      body: {
        error:
          'invalid precision "xs": valid precisions are auto, nanosecond, microsecond, millisecond and second',
        data: null,
      },
    },
    {
      name: "v3 bad accept_partial",
      target: "/api/v3/write_lp?db=d&accept_partial=maybe",
      status: 400,
      body: { error: 'invalid accept_partial "maybe": use true or false', data: null },
    },
    {
      name: "db with a slash",
      target: "/api/v3/write_lp?db=this%2F_is_fine",
      status: 400,
      body: {
        error:
          "invalid character in database name: must be ASCII, containing only letters, numbers, underscores, or hyphens",
        data: null,
      },
    },
    {
      name: "db starting with punctuation",
      target: "/write?db=_x",
      status: 400,
      body: { error: "db name did not start with a number or letter" },
    },
    {
      name: "db with dot-dot",
      target: "/write?db=..",
      status: 400,
      body: { error: "db name did not start with a number or letter" },
    },
    {
      name: "db too long",
      target: `/write?db=${"a".repeat(65)}`,
      status: 400,
      body: { error: "db name is 65 characters long; the limit is 64" },
    },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      const { router, wal } = setup();
      const res = await router(request("POST", c.target, "m v=1 1"));
      assert.equal(res.status, c.status);
      assert.deepEqual(body(res), c.body);
      assert.equal(wal.records.length, 0);
    });
  }

  it("a body over the compressed limit → 413, nothing written", async () => {
    const { router, wal } = setup({ maxBodyBytes: 100 });
    const res = await router(request("POST", "/api/v2/write?bucket=d", "m v=1 1\n".repeat(20)));
    assert.equal(res.status, 413);
    assert.deepEqual(body(res), {
      code: "request too large",
      message: "request body exceeds the limit of 100 bytes (setting: max body bytes)",
    });
    assert.equal(wal.records.length, 0);
  });

  it("a gzip bomb under the compressed limit → 413 by the decompressed limit, nothing written", async () => {
    const { router, wal } = setup({ maxBodyBytes: 1024 * 1024, maxDecompressedBytes: 1024 * 1024 });
    // 256 concatenated gzip members of 1 MiB each: 256 MiB once inflated, ~260 KB as sent.
    const member = gzipSync(Buffer.alloc(1024 * 1024, 0x61));
    const bomb = Buffer.concat(Array.from({ length: 256 }, () => member));
    assert.ok(bomb.byteLength < 1024 * 1024, "the bomb itself is under the compressed limit");
    const res = await router(request("POST", "/write?db=d", bomb, { "content-encoding": "gzip" }));
    assert.equal(res.status, 413);
    assert.match(
      (body(res) as { error: string }).error,
      /decompressed request body exceeds the limit of 1048576 bytes/,
    );
    assert.equal(wal.records.length, 0);
  });

  it("a body that is not gzip but says so → 400", async () => {
    const { router } = setup();
    const res = await router(
      request("POST", "/api/v3/write_lp?db=d", "m v=1 1", { "content-encoding": "gzip" }),
    );
    assert.equal(res.status, 400);
    assert.match((body(res) as { error: string }).error, /gzipped request body is invalid/);
  });

  it("an unknown Content-Encoding → 415", async () => {
    const { router } = setup();
    const res = await router(request("POST", "/write?db=d", "m v=1 1", { "content-encoding": "br" }));
    assert.equal(res.status, 415);
  });
});

describe("write: partial writes", () => {
  const lines = "cpu v=1 1\ncpu v= 2\ncpu v=3 3";

  it("v1: 400 partial write with dropped count; the good lines are written", async () => {
    const { router, wal } = setup();
    const res = await router(request("POST", "/write?db=d", lines));
    assert.equal(res.status, 400);
    const { error } = body(res) as { error: string };
    assert.match(error, /^partial write: unable to parse 'cpu v= 2': .+ dropped=1$/s);
    assert.equal(text(wal.records[0]?.body ?? new Uint8Array()), "cpu v=1 1\ncpu v=3 3");
  });

  it("v2: 400 invalid with the first rejected line number", async () => {
    const { router, wal } = setup();
    const res = await router(request("POST", "/api/v2/write?bucket=d", lines));
    assert.equal(res.status, 400);
    const b = body(res) as { code: string; line: number; message: string };
    assert.equal(b.code, "invalid");
    assert.equal(b.line, 2);
    assert.match(b.message, /line 2: .+\(cpu v= 2\)/);
    assert.equal(wal.records.length, 1);
  });

  it("v3: 400 with the rejected lines listed; the good lines are written", async () => {
    const { router, wal } = setup();
    const res = await router(request("POST", "/api/v3/write_lp?db=d", lines));
    assert.equal(res.status, 400);
    const b = body(res) as {
      error: string;
      data: { original_line: string; line_number: number; error_message: string }[];
    };
    assert.equal(b.error, "partial write of line protocol occurred");
    assert.equal(b.data.length, 1);
    assert.equal(b.data[0]?.original_line, "cpu v= 2");
    assert.equal(b.data[0]?.line_number, 2);
    assert.ok((b.data[0]?.error_message.length ?? 0) > 0);
    assert.equal(text(wal.records[0]?.body ?? new Uint8Array()), "cpu v=1 1\ncpu v=3 3");
  });

  it("v3 accept_partial=false: 400 with the first error, nothing written", async () => {
    const { router, wal } = setup();
    const res = await router(request("POST", "/api/v3/write_lp?db=d&accept_partial=false", lines));
    assert.equal(res.status, 400);
    const b = body(res) as { error: string; data: { line_number: number; original_line: string } };
    assert.equal(b.error, "parsing failed for write_lp endpoint");
    assert.equal(b.data.line_number, 2);
    assert.equal(b.data.original_line, "cpu v= 2");
    assert.equal(wal.records.length, 0);
  });

  for (const target of ["/write?db=d", "/api/v2/write?bucket=d", "/api/v3/write_lp?db=d"]) {
    it(`every line bad (${target.split("?")[0]}): 400, nothing written`, async () => {
      const { router, wal } = setup();
      const res = await router(request("POST", target, "bad\nalso bad"));
      assert.equal(res.status, 400);
      assert.equal(wal.records.length, 0);
    });
  }
});

describe("write: field type conflicts", () => {
  const types = (entries: [string, string, FieldType][]) => {
    const map = new Map<string, Map<string, FieldType>>();
    for (const [m, f, t] of entries) {
      const fields = map.get(m) ?? new Map<string, FieldType>();
      fields.set(f, t);
      map.set(m, fields);
    }
    return map;
  };

  it("rejects a line whose field type differs from an earlier line of the same request", async () => {
    const { router, wal } = setup();
    const res = await router(
      request("POST", "/api/v3/write_lp?db=d", 'home temp=21.5 1\nhome temp="warm" 2\nhome temp=22 3'),
    );
    assert.equal(res.status, 400);
    const b = body(res) as { data: { line_number: number; error_message: string }[] };
    assert.deepEqual(
      b.data.map((d) => [d.line_number, d.error_message]),
      [
        [
          2,
          'field type conflict: input field "temp" on measurement "home" is type string, already exists as type float',
        ],
      ],
    );
    assert.equal(text(wal.records[0]?.body ?? new Uint8Array()), "home temp=21.5 1\nhome temp=22 3");
  });

  it("rejects names the storage cannot hold, so no acknowledged point is dropped later", async () => {
    const { router, wal } = setup({
      fieldTypes: new StaticFieldTypes({ d: types([["m", "f", "float"]]) }),
    });
    const res = await router(
      request(
        "POST",
        "/api/v3/write_lp?db=d",
        "m,_seq=1 g=1 1\nm,a=1 a=2 2\nm time_ns=1,g=2 3\nm,f=x g=3 4\nm,h=y g=4 5\nm h=5 6",
      ),
    );
    assert.equal(res.status, 400);
    const b = body(res) as { data: { line_number: number; error_message: string }[] };
    assert.deepEqual(
      b.data.map((d) => [d.line_number, d.error_message]),
      [
        [
          1,
          'invalid name "_seq" on measurement "m": time, time_ns and _seq are reserved for storage columns',
        ],
        [2, 'invalid point on measurement "m": "a" is both a tag key and a field key'],
        [
          3,
          'invalid name "time_ns" on measurement "m": time, time_ns and _seq are reserved for storage columns',
        ],
        [4, 'tag key "f" on measurement "m" is already a field key'],
        [6, 'field key "h" on measurement "m" is already a tag key'],
      ],
    );
    assert.equal(text(wal.records[0]?.body ?? new Uint8Array()), "m,h=y g=4 5");
  });

  it("rejects against the catalog's types", async () => {
    const { router, wal } = setup({
      fieldTypes: new StaticFieldTypes({ d: types([["home", "temp", "integer"]]) }),
    });
    const res = await router(request("POST", "/write?db=d", "home temp=1.5 1"));
    assert.equal(res.status, 400);
    assert.equal(
      (body(res) as { error: string }).error,
      'partial write: field type conflict: input field "temp" on measurement "home" is type float, already exists as type integer dropped=1',
    );
    assert.equal(wal.records.length, 0);
  });

  it("the catalog's types are per database", async () => {
    const { router } = setup({
      fieldTypes: new StaticFieldTypes({ other: types([["home", "temp", "integer"]]) }),
    });
    assert.equal((await router(request("POST", "/write?db=d", "home temp=1.5 1"))).status, 204);
  });

  it("rejects against types this process accepted earlier", async () => {
    const { router } = setup();
    assert.equal((await router(request("POST", "/write?db=d", "home on=true 1"))).status, 204);
    const res = await router(request("POST", "/api/v2/write?bucket=d", "home on=1i 2"));
    assert.equal(res.status, 400);
    assert.match(
      (body(res) as { message: string }).message,
      /input field "on" on measurement "home" is type integer, already exists as type boolean/,
    );
  });

  it("two concurrent requests cannot bind a new field to two types (the second waits on no append)", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    class SlowWal extends RecordingWal {
      override async append(records: readonly WalRecord[]): Promise<void> {
        await gate;
        await super.append(records);
      }
    }
    const wal = new SlowWal();
    const { router } = setup({ wal });
    const first = router(request("POST", "/write?db=d", "home mode=1i 1"));
    const second = router(request("POST", "/write?db=d", 'home mode="eco" 2'));
    // With the reservation, the second request is answered without waiting for the held append; without it,
    // it would wait on the gate - released after a bound so the test fails instead of hanging.
    const bound = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000));
    const secondStatus = (await Promise.race([second, bound]))?.status;
    release();
    assert.equal((await first).status, 204);
    assert.equal(secondStatus ?? (await second).status, 400);
    assert.equal(wal.records.length, 1);
  });

  it("a failed append does not make its types binding", async () => {
    const wal = new FailingWal(() => new WalUnavailableError("queue down"), 1);
    const { router } = setup({ wal });
    assert.equal((await router(request("POST", "/write?db=d", "home temp=1i 1"))).status, 503);
    assert.equal((await router(request("POST", "/write?db=d", "home temp=1.5 1"))).status, 204);
    assert.equal(wal.records.length, 1);
  });
});

describe("write: WAL failures", () => {
  for (const [target, key] of [
    ["/write?db=d", "error"],
    ["/api/v2/write?bucket=d", "message"],
    ["/api/v3/write_lp?db=d", "error"],
  ] as const) {
    it(`WalUnavailableError → 503 with Retry-After (${target.split("?")[0]})`, async () => {
      const wal = new FailingWal(() => new WalUnavailableError("disk full"));
      const { router } = setup({ wal });
      const res = await router(request("POST", target, "m v=1 1"));
      assert.equal(res.status, 503);
      assert.equal(res.headers["retry-after"], "1");
      const message = (body(res) as Record<string, string>)[key] ?? "";
      assert.match(message, /nothing from this request was acknowledged/);
      assert.doesNotMatch(message, /disk full/, "the WAL's own message stays in the log");
      assert.equal(wal.records.length, 0);
    });
  }

  it("an unexpected WAL error → 500 without internals", async () => {
    const wal = new FailingWal(() => new Error("EACCES: secret path /var/lib/x"));
    const { router } = setup({ wal });
    const res = await router(request("POST", "/api/v2/write?bucket=d", "m v=1 1"));
    assert.equal(res.status, 500);
    assert.doesNotMatch(String(res.body), /EACCES|secret|at /);
  });

  it("a failing catalog lookup → 503, nothing written", async () => {
    const wal = new RecordingWal();
    const fieldTypes = new StaticFieldTypes();
    fieldTypes.fieldTypes = async () => {
      throw new Error("S3 down");
    };
    const { router } = setup({ wal, fieldTypes });
    const res = await router(request("POST", "/write?db=d", "m v=1 1"));
    assert.equal(res.status, 503);
    assert.equal(wal.records.length, 0);
  });
});
