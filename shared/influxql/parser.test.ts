import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { SelectStatement } from "./ast.ts";
import { formatExpr, formatStatement, quoteIdent } from "./format.ts";
import { parseExpr, parseQuery, parseStatement } from "./parser.ts";

const roundTrips: [name: string, input: string, canonical: string][] = [
  ["simple select", "select usage from cpu", "SELECT usage FROM cpu"],
  [
    "grafana mean by time",
    `SELECT mean("usage_user") FROM "cpu" WHERE ("host" = 'h1') AND time >= now() - 1h GROUP BY time(1m) fill(null)`,
    "SELECT mean(usage_user) FROM cpu WHERE (host = 'h1') AND time >= now() - 1h GROUP BY time(1m) fill(null)",
  ],
  [
    "aliases",
    'SELECT max(x) AS top, min(x) as "low val" FROM m',
    'SELECT max(x) AS top, min(x) AS "low val" FROM m',
  ],
  ["casts and wildcards", "SELECT *::field, a::integer FROM m", "SELECT *::field, a::integer FROM m"],
  ["arithmetic", "SELECT (a + b) * 2 / c - 1.5 FROM m", "SELECT (a + b) * 2 / c - 1.5 FROM m"],
  ["fully qualified", "SELECT v FROM db.rp.m", "SELECT v FROM db.rp.m"],
  ["default rp", "SELECT v FROM db..m", "SELECT v FROM db..m"],
  ["regex and several sources", "SELECT v FROM /^cpu.*/, mem", "SELECT v FROM /^cpu.*/, mem"],
  ["regex with slash", "SELECT v FROM m WHERE p =~ /a\\/b/", "SELECT v FROM m WHERE p =~ /a\\/b/"],
  [
    "percentile and count distinct",
    "SELECT percentile(v, 95), count(distinct(h)) FROM m",
    "SELECT percentile(v, 95), count(distinct(h)) FROM m",
  ],
  [
    "group by time offset, tags, order, limits, tz",
    "SELECT last(v) FROM m GROUP BY time(1h,-15m), host, /^re/ fill(previous) ORDER BY time DESC LIMIT 10 OFFSET 2 SLIMIT 3 SOFFSET 1 tz('Europe/Paris')",
    "SELECT last(v) FROM m GROUP BY time(1h, -15m), host, /^re/ fill(previous) ORDER BY time DESC LIMIT 10 OFFSET 2 SLIMIT 3 SOFFSET 1 tz('Europe/Paris')",
  ],
  [
    "group by star, fill number",
    "SELECT sum(v) FROM m GROUP BY * fill(-1.5)",
    "SELECT sum(v) FROM m GROUP BY * fill(-1.5)",
  ],
  [
    "where with literals",
    "SELECT v FROM m WHERE s = 'it\\'s' AND b = true OR n != -3 AND t > 1451606400000000000",
    "SELECT v FROM m WHERE s = 'it\\'s' AND b = true OR n != -3 AND t > 1451606400000000000",
  ],
  ["show databases", "show databases", "SHOW DATABASES"],
  [
    "show measurements",
    "SHOW MEASUREMENTS WITH MEASUREMENT =~ /cpu/ LIMIT 5",
    "SHOW MEASUREMENTS WITH MEASUREMENT =~ /cpu/ LIMIT 5",
  ],
  [
    "show measurements eq",
    "SHOW MEASUREMENTS ON db WITH MEASUREMENT = cpu",
    "SHOW MEASUREMENTS ON db WITH MEASUREMENT = cpu",
  ],
  ["show tag keys", "SHOW TAG KEYS FROM cpu", "SHOW TAG KEYS FROM cpu"],
  [
    "show tag values eq",
    `SHOW TAG VALUES FROM cpu WITH KEY = "host" WHERE region = 'eu'`,
    "SHOW TAG VALUES FROM cpu WITH KEY = host WHERE region = 'eu'",
  ],
  ["show tag values in", `SHOW TAG VALUES WITH KEY IN ("a", "b")`, "SHOW TAG VALUES WITH KEY IN (a, b)"],
  ["show tag values regex", "SHOW TAG VALUES WITH KEY =~ /h.*/", "SHOW TAG VALUES WITH KEY =~ /h.*/"],
  ["show field keys", "SHOW FIELD KEYS FROM cpu", "SHOW FIELD KEYS FROM cpu"],
  [
    "show series",
    "SHOW SERIES FROM cpu WHERE host = 'a' LIMIT 2",
    "SHOW SERIES FROM cpu WHERE host = 'a' LIMIT 2",
  ],
  ["show retention policies", "SHOW RETENTION POLICIES ON mydb", "SHOW RETENTION POLICIES ON mydb"],
  ["create database", "CREATE DATABASE mydb", "CREATE DATABASE mydb"],
  ["drop database", "DROP DATABASE mydb", "DROP DATABASE mydb"],
  ["drop measurement", `DROP MEASUREMENT "my m"`, `DROP MEASUREMENT "my m"`],
  ["drop series", "DROP SERIES FROM cpu WHERE host = 'a'", "DROP SERIES FROM cpu WHERE host = 'a'"],
  ["keyword as quoted identifier", `SELECT "select" FROM "from"`, `SELECT "select" FROM "from"`],
];

describe("InfluxQL round trips", () => {
  for (const [name, input, canonical] of roundTrips) {
    it(name, () => {
      const text = formatStatement(parseStatement(input));
      assert.equal(text, canonical);
      // The canonical form parses to the same tree.
      assert.deepEqual(parseStatement(text), parseStatement(input));
    });
  }
});

describe("InfluxQL AST", () => {
  it("splits statements on semicolons", () => {
    const q = parseQuery("SHOW DATABASES; SELECT v FROM m;;");
    assert.deepEqual(
      q.statements.map((s) => s.kind),
      ["showDatabases", "select"],
    );
  });

  it("keeps 64-bit integers exact and durations in ns", () => {
    const s = parseStatement(
      "SELECT v FROM m WHERE time > 1700000000123456789 AND time < now() - 90m",
    ) as SelectStatement;
    assert.deepEqual(s.condition, {
      kind: "Binary",
      op: "AND",
      lhs: {
        kind: "Binary",
        op: ">",
        lhs: { kind: "VarRef", name: "time" },
        rhs: { kind: "Integer", value: 1700000000123456789n },
      },
      rhs: {
        kind: "Binary",
        op: "<",
        lhs: { kind: "VarRef", name: "time" },
        rhs: {
          kind: "Binary",
          op: "-",
          lhs: { kind: "Call", name: "now", args: [] },
          rhs: { kind: "Duration", ns: 5_400_000_000_000n, text: "90m" },
        },
      },
    });
  });

  it("binds * tighter than + and AND tighter than OR", () => {
    assert.equal(formatExpr(parseExpr("a + b * c")), "a + b * c");
    const e = parseExpr("a = 1 OR b = 2 AND c = 3");
    assert.equal(e.kind === "Binary" && e.op, "OR");
  });

  it("parses sources with database and retention policy", () => {
    const s = parseStatement(`SELECT v FROM "db"."rp"./^c/, db..m, rp.m2`) as SelectStatement;
    assert.deepEqual(s.sources, [
      { database: "db", retentionPolicy: "rp", regex: "^c" },
      { database: "db", name: "m" },
      { retentionPolicy: "rp", name: "m2" },
    ]);
  });

  it("parses GROUP BY time with offset and fill", () => {
    const s = parseStatement(
      "SELECT mean(v) FROM m GROUP BY time(5m, 1m), host fill(linear)",
    ) as SelectStatement;
    assert.deepEqual(s.dimensions, [
      { kind: "time", intervalNs: 300_000_000_000n, offsetNs: 60_000_000_000n },
      { kind: "tag", name: "host" },
    ]);
    assert.deepEqual(s.fill, { kind: "linear" });
  });
});

const errors: [name: string, query: string, message: string][] = [
  ["misspelt FROM", "SELECT * FRM cpu", "error parsing query: found FRM, expected FROM at line 1, char 10"],
  [
    "nothing selected",
    "SELECT",
    "error parsing query: found EOF, expected identifier, string, number, bool at line 1, char 8",
  ],
  [
    "missing source",
    "SELECT v FROM",
    "error parsing query: found EOF, expected identifier, regex at line 1, char 15",
  ],
  [
    "unknown statement",
    "SELEC v",
    "error parsing query: found SELEC, expected SELECT, DELETE, SHOW, CREATE, DROP, EXPLAIN, GRANT, REVOKE, ALTER, SET, KILL at line 1, char 1",
  ],
  [
    "bad fill",
    "SELECT mean(v) FROM m GROUP BY time(1m) fill(foo)",
    "error parsing query: found foo, expected null, none, previous, linear, number at line 1, char 46",
  ],
  [
    "second line position",
    "SELECT v\nFROM m WHERE",
    "error parsing query: found EOF, expected identifier, string, number, bool at line 2, char 14",
  ],
  [
    "unterminated string",
    "SELECT v FROM m WHERE h = 'abc",
    "error parsing query: found 'abc, expected string at line 1, char 27",
  ],
  [
    "regex needed",
    "SELECT v FROM m WHERE h =~ 'x'",
    "error parsing query: found 'x', expected regex at line 1, char 28",
  ],
  [
    "garbage after statement",
    "SHOW DATABASES extra",
    "error parsing query: found extra, expected ; at line 1, char 16",
  ],
  [
    "bad limit",
    "SELECT v FROM m LIMIT x",
    "error parsing query: found x, expected integer at line 1, char 23",
  ],
];

describe("InfluxQL errors", () => {
  for (const [name, query, message] of errors) {
    it(name, () => {
      assert.throws(() => parseQuery(query), { message });
    });
  }
});

describe("InfluxQL properties", () => {
  it("quoted identifiers and strings survive a round trip", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (ident, str) => {
        const clean = ident.replace(/\n/g, "");
        fc.pre(clean.length > 0);
        const q = `SELECT ${quoteIdent(clean)} FROM m WHERE t = '${str.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
        const s = parseStatement(q) as SelectStatement;
        assert.deepEqual(s.fields[0]?.expr, { kind: "VarRef", name: clean });
        const c = s.condition;
        assert.ok(c?.kind === "Binary");
        assert.deepEqual(c.rhs, { kind: "String", value: str });
        assert.deepEqual(parseStatement(formatStatement(s)), s);
      }),
    );
  });
});
