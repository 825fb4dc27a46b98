// Recursive-descent InfluxQL parser: query text -> Query AST, errors positioned as InfluxDB reports them.
import type {
  BinaryOp,
  DataType,
  Dimension,
  Expr,
  Field,
  Fill,
  KeyFilter,
  MeasurementSource,
  Query,
  SelectStatement,
  ShowCommon,
  Statement,
} from "./ast.ts";
import { ParseError } from "./errors.ts";
import { durationNs, Lexer, type Token } from "./lexer.ts";

const PRECEDENCE: Record<string, number> = {
  OR: 1,
  AND: 2,
  "=": 4,
  "!=": 4,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  "=~": 4,
  "!~": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "%": 6,
};

const STATEMENT_STARTS = [
  "SELECT",
  "DELETE",
  "SHOW",
  "CREATE",
  "DROP",
  "EXPLAIN",
  "GRANT",
  "REVOKE",
  "ALTER",
  "SET",
  "KILL",
];

const DATA_TYPES = new Set(["float", "integer", "unsigned", "string", "boolean", "field", "tag"]);

export function parseQuery(text: string): Query {
  return new Parser(text).parseQuery();
}

/** Parses exactly one statement (a trailing `;` is allowed). */
export function parseStatement(text: string): Statement {
  const q = parseQuery(text);
  const first = q.statements[0];
  if (q.statements.length !== 1 || first === undefined) {
    throw new ParseError(`expected exactly one statement, found ${q.statements.length}`, 1, 1);
  }
  return first;
}

export function parseExpr(text: string): Expr {
  const p = new Parser(text);
  const e = p.expr();
  p.expectEOF();
  return e;
}

class Parser {
  private readonly lexer: Lexer;
  private pos = 0;

  constructor(text: string) {
    this.lexer = new Lexer(text);
  }

  private peek(regex = false): Token {
    return this.lexer.scan(this.pos, regex).token;
  }

  private next(regex = false): Token {
    const { token, end } = this.lexer.scan(this.pos, regex);
    this.pos = end;
    return token;
  }

  private fail(token: Token, expected: readonly string[]): never {
    const { line, char } = this.lexer.position(token.pos);
    throw ParseError.found(
      token.raw,
      expected,
      line,
      char + (token.kind === "EOF" ? eofShift(this.lexer.text) : 0),
    );
  }

  private isKeyword(token: Token, ...words: string[]): boolean {
    return token.kind === "KEYWORD" && words.includes(token.value);
  }

  private acceptKeyword(word: string): boolean {
    if (this.isKeyword(this.peek(), word)) {
      this.next();
      return true;
    }
    return false;
  }

  private expectKeyword(...words: string[]): string {
    const t = this.next();
    if (!this.isKeyword(t, ...words)) this.fail(t, words);
    return t.value;
  }

  expectEOF(): void {
    const t = this.peek();
    if (t.kind !== "EOF") this.fail(t, ["EOF"]);
  }

  parseQuery(): Query {
    const statements: Statement[] = [];
    for (;;) {
      while (this.peek().kind === "SEMICOLON") this.next();
      if (this.peek().kind === "EOF") break;
      statements.push(this.statement());
      const t = this.peek();
      if (t.kind === "EOF") break;
      if (t.kind !== "SEMICOLON") this.fail(t, [";"]);
    }
    return { statements };
  }

  private statement(): Statement {
    const t = this.next();
    if (this.isKeyword(t, "SELECT")) return this.select();
    if (this.isKeyword(t, "SHOW")) return this.show();
    if (this.isKeyword(t, "CREATE")) {
      this.expectKeyword("DATABASE");
      const name = this.ident();
      // CREATE DATABASE ... WITH DURATION ... options are accepted and ignored.
      while (this.peek().kind !== "EOF" && this.peek().kind !== "SEMICOLON") this.next();
      return { kind: "createDatabase", name };
    }
    if (this.isKeyword(t, "DROP")) {
      const what = this.expectKeyword("DATABASE", "MEASUREMENT", "SERIES");
      if (what === "DATABASE") return { kind: "dropDatabase", name: this.ident() };
      if (what === "MEASUREMENT") return { kind: "dropMeasurement", name: this.ident() };
      const sources = this.acceptKeyword("FROM") ? this.sources() : [];
      const condition = this.acceptKeyword("WHERE") ? this.expr() : undefined;
      return { kind: "dropSeries", sources, ...(condition ? { condition } : {}) };
    }
    return this.fail(t, STATEMENT_STARTS);
  }

  private ident(): string {
    const t = this.next();
    if (t.kind !== "IDENT") this.fail(t, ["identifier"]);
    return t.value;
  }

  private int(): number {
    const t = this.next();
    if (t.kind !== "INTEGER") this.fail(t, ["integer"]);
    const n = Number(t.value);
    if (!Number.isSafeInteger(n)) this.fail(t, ["integer"]);
    return n;
  }

  // ---- SELECT ----

  private select(): SelectStatement {
    const fields = this.fields();
    if (this.isKeyword(this.peek(), "INTO")) this.fail(this.peek(), ["FROM"]);
    this.expectKeyword("FROM");
    const sources = this.sources();
    const condition = this.acceptKeyword("WHERE") ? this.expr() : undefined;
    let dimensions: Dimension[] = [];
    if (this.acceptKeyword("GROUP")) {
      this.expectKeyword("BY");
      dimensions = this.dimensions();
    }
    let fill: Fill | undefined;
    if (this.isKeyword(this.peek(), "FILL")) fill = this.fill();
    let order: "asc" | "desc" = "asc";
    if (this.acceptKeyword("ORDER")) {
      this.expectKeyword("BY");
      order = this.sortFields();
    }
    let limit = 0;
    let offset = 0;
    let slimit = 0;
    let soffset = 0;
    if (this.acceptKeyword("LIMIT")) limit = this.int();
    if (this.acceptKeyword("OFFSET")) offset = this.int();
    if (this.acceptKeyword("SLIMIT")) slimit = this.int();
    if (this.acceptKeyword("SOFFSET")) soffset = this.int();
    let tz: string | undefined;
    const t = this.peek();
    if (t.kind === "IDENT" && t.value.toLowerCase() === "tz" && !t.quoted) {
      this.next();
      this.expect("LPAREN", "(");
      const s = this.next();
      if (s.kind !== "STRING") this.fail(s, ["string"]);
      tz = s.value;
      this.expect("RPAREN", ")");
    }
    return {
      kind: "select",
      fields,
      sources,
      ...(condition ? { condition } : {}),
      dimensions,
      ...(fill ? { fill } : {}),
      order,
      limit,
      offset,
      slimit,
      soffset,
      ...(tz !== undefined ? { tz } : {}),
    };
  }

  private expect(kind: Token["kind"], shown: string): Token {
    const t = this.next();
    if (t.kind !== kind) this.fail(t, [shown]);
    return t;
  }

  private fields(): Field[] {
    const fields: Field[] = [];
    for (;;) {
      const expr = this.expr();
      let alias: string | undefined;
      if (this.acceptKeyword("AS")) alias = this.ident();
      fields.push(alias !== undefined ? { expr, alias } : { expr });
      if (this.peek().kind !== "COMMA") return fields;
      this.next();
    }
  }

  sources(): MeasurementSource[] {
    const out: MeasurementSource[] = [];
    for (;;) {
      out.push(this.source());
      if (this.peek().kind !== "COMMA") return out;
      this.next();
    }
  }

  private source(): MeasurementSource {
    // Up to three dot-separated segments; the last may be a regex; middle ones may be empty (db..m).
    const segments: (string | undefined)[] = [];
    let regex: string | undefined;
    for (;;) {
      const t = this.peek(true);
      if (t.kind === "REGEX") {
        this.next(true);
        regex = t.value;
        break;
      }
      if (t.kind === "IDENT") {
        this.next();
        segments.push(t.value);
      } else {
        this.fail(t, ["identifier", "regex"]);
      }
      if (this.peek().kind !== "DOT" || segments.length >= 3) break;
      this.next();
      if (this.peek().kind === "DOT") {
        // db..m: empty retention policy segment
        this.next();
        segments.push(undefined);
      }
    }
    const name = regex === undefined ? segments.pop() : undefined;
    const parts = segments;
    let database: string | undefined;
    let retentionPolicy: string | undefined;
    if (parts.length === 2) {
      database = parts[0];
      retentionPolicy = parts[1];
    } else if (parts.length === 1) {
      retentionPolicy = parts[0];
    } else if (parts.length > 2) {
      const t = this.peek();
      this.fail(t, ["measurement"]);
    }
    return {
      ...(database !== undefined ? { database } : {}),
      ...(retentionPolicy !== undefined ? { retentionPolicy } : {}),
      ...(name !== undefined ? { name } : {}),
      ...(regex !== undefined ? { regex } : {}),
    };
  }

  private dimensions(): Dimension[] {
    const dims: Dimension[] = [];
    for (;;) {
      const t = this.peek(true);
      if (t.kind === "REGEX") {
        this.next(true);
        dims.push({ kind: "regex", pattern: t.value });
      } else if (t.kind === "OP" && t.value === "*") {
        this.next();
        dims.push({ kind: "wildcard" });
      } else if (t.kind === "IDENT") {
        this.next();
        if (!t.quoted && t.value.toLowerCase() === "time" && this.peek().kind === "LPAREN") {
          this.next();
          const interval = this.durationLit();
          let offsetNs = 0n;
          if (this.peek().kind === "COMMA") {
            this.next();
            const neg = this.peek().kind === "OP" && this.peek().value === "-";
            if (neg) this.next();
            const off = this.durationLit();
            offsetNs = neg ? -off : off;
          }
          this.expect("RPAREN", ")");
          if (interval <= 0n) this.fail(t, ["positive duration"]);
          dims.push({ kind: "time", intervalNs: interval, offsetNs });
        } else {
          dims.push({ kind: "tag", name: t.value });
        }
      } else {
        this.fail(t, ["identifier", "regex", "*"]);
      }
      if (this.peek().kind !== "COMMA") return dims;
      this.next();
    }
  }

  private durationLit(): bigint {
    const t = this.next();
    if (t.kind !== "DURATION") this.fail(t, ["duration"]);
    return durationNs(t.value) ?? this.fail(t, ["duration"]);
  }

  private fill(): Fill {
    this.next();
    this.expect("LPAREN", "(");
    const t = this.next();
    let fill: Fill;
    const neg = t.kind === "OP" && t.value === "-";
    const v = neg ? this.next() : t;
    if (v.kind === "INTEGER" || v.kind === "NUMBER") {
      fill = { kind: "value", value: Number(v.value) * (neg ? -1 : 1) };
    } else if (v.kind === "IDENT" && ["null", "none", "previous", "linear"].includes(v.value.toLowerCase())) {
      fill = { kind: v.value.toLowerCase() as "null" | "none" | "previous" | "linear" };
    } else {
      return this.fail(v, ["null", "none", "previous", "linear", "number"]);
    }
    this.expect("RPAREN", ")");
    return fill;
  }

  private sortFields(): "asc" | "desc" {
    const t = this.next();
    let order: "asc" | "desc" = "asc";
    if (t.kind === "IDENT" && t.value.toLowerCase() === "time") {
      const d = this.peek();
      if (this.isKeyword(d, "ASC", "DESC")) {
        this.next();
        order = d.value === "DESC" ? "desc" : "asc";
      }
    } else if (this.isKeyword(t, "ASC", "DESC")) {
      order = t.value === "DESC" ? "desc" : "asc";
    } else {
      this.fail(t, ["identifier", "ASC", "DESC"]);
    }
    if (this.peek().kind === "COMMA") {
      const c = this.peek();
      const { line, char } = this.lexer.position(c.pos);
      throw new ParseError("only ORDER BY time supported at this time", line, char);
    }
    return order;
  }

  // ---- SHOW ----

  private show(): Statement {
    const t = this.next();
    if (this.isKeyword(t, "DATABASES")) return { kind: "showDatabases" };
    if (this.isKeyword(t, "RETENTION")) {
      this.expectKeyword("POLICIES");
      const on = this.acceptKeyword("ON") ? this.ident() : undefined;
      return { kind: "showRetentionPolicies", ...(on !== undefined ? { on } : {}) };
    }
    if (this.isKeyword(t, "MEASUREMENTS")) {
      const on = this.onClause();
      let measurement: { op: "=" | "=~" | "!=" | "!~"; value: string } | undefined;
      if (this.acceptKeyword("WITH")) {
        this.expectKeyword("MEASUREMENT");
        const op = this.next();
        if (op.kind !== "OP" || !["=", "!=", "=~", "!~"].includes(op.value)) this.fail(op, ["=", "=~"]);
        const isRe = op.value === "=~" || op.value === "!~";
        const v = this.next(isRe);
        if (isRe ? v.kind !== "REGEX" : v.kind !== "IDENT") this.fail(v, [isRe ? "regex" : "identifier"]);
        measurement = { op: op.value as "=" | "=~" | "!=" | "!~", value: v.value };
      }
      const rest = this.showTail();
      return { kind: "showMeasurements", ...on, ...rest, ...(measurement ? { measurement } : {}) };
    }
    if (this.isKeyword(t, "TAG")) {
      const w = this.expectKeyword("KEYS", "VALUES");
      const on = this.onClause();
      const sources = this.acceptKeyword("FROM") ? this.sources() : [];
      if (w === "KEYS") return { kind: "showTagKeys", ...on, ...this.showTail(), sources };
      this.expectKeyword("WITH");
      this.expectKeyword("KEY");
      const key = this.keyFilter();
      return { kind: "showTagValues", ...on, ...this.showTail(), sources, key };
    }
    if (this.isKeyword(t, "FIELD")) {
      this.expectKeyword("KEYS");
      const on = this.onClause();
      const sources = this.acceptKeyword("FROM") ? this.sources() : [];
      return { kind: "showFieldKeys", ...on, ...this.showTail(), sources };
    }
    if (this.isKeyword(t, "SERIES")) {
      const on = this.onClause();
      const sources = this.acceptKeyword("FROM") ? this.sources() : [];
      return { kind: "showSeries", ...on, ...this.showTail(), sources };
    }
    return this.fail(t, [
      "CONTINUOUS",
      "DATABASES",
      "DIAGNOSTICS",
      "FIELD",
      "GRANTS",
      "MEASUREMENT",
      "MEASUREMENTS",
      "QUERIES",
      "RETENTION",
      "SERIES",
      "SHARD",
      "SHARDS",
      "STATS",
      "SUBSCRIPTIONS",
      "TAG",
      "USERS",
    ]);
  }

  private onClause(): { on?: string } {
    return this.acceptKeyword("ON") ? { on: this.ident() } : {};
  }

  private showTail(): Omit<ShowCommon, "on" | "sources"> & { sources: MeasurementSource[] } {
    const condition = this.acceptKeyword("WHERE") ? this.expr() : undefined;
    const limit = this.acceptKeyword("LIMIT") ? this.int() : 0;
    const offset = this.acceptKeyword("OFFSET") ? this.int() : 0;
    return { sources: [], ...(condition ? { condition } : {}), limit, offset };
  }

  private keyFilter(): KeyFilter {
    const t = this.next();
    if (this.isKeyword(t, "IN")) {
      this.expect("LPAREN", "(");
      const keys = [this.ident()];
      while (this.peek().kind === "COMMA") {
        this.next();
        keys.push(this.ident());
      }
      this.expect("RPAREN", ")");
      return { op: "IN", keys };
    }
    if (t.kind !== "OP" || !["=", "!=", "=~", "!~"].includes(t.value))
      this.fail(t, ["=", "!=", "=~", "!~", "IN"]);
    if (t.value === "=~" || t.value === "!~") {
      const r = this.next(true);
      if (r.kind !== "REGEX") this.fail(r, ["regex"]);
      return { op: t.value, pattern: r.value };
    }
    return { op: t.value as "=" | "!=", key: this.ident() };
  }

  // ---- expressions ----

  expr(minPrec = 1): Expr {
    let lhs = this.unary();
    for (;;) {
      const t = this.peek();
      const op =
        t.kind === "KEYWORD" && (t.value === "AND" || t.value === "OR")
          ? t.value
          : t.kind === "OP"
            ? t.value
            : undefined;
      const prec = op !== undefined ? PRECEDENCE[op] : undefined;
      if (op === undefined || prec === undefined || prec < minPrec) return lhs;
      this.next();
      const rhs = op === "=~" || op === "!~" ? this.regexOperand() : this.expr(prec + 1);
      lhs = { kind: "Binary", op: op as BinaryOp, lhs, rhs };
    }
  }

  private regexOperand(): Expr {
    const t = this.next(true);
    if (t.kind !== "REGEX") this.fail(t, ["regex"]);
    return { kind: "Regex", pattern: t.value };
  }

  private unary(): Expr {
    const t = this.peek(true);
    if (t.kind === "OP" && (t.value === "-" || t.value === "+")) {
      this.next();
      const operand = this.unary();
      if (t.value === "+") return operand;
      if (operand.kind === "Number") return { kind: "Number", value: -operand.value };
      if (operand.kind === "Integer") return { kind: "Integer", value: -operand.value };
      if (operand.kind === "Duration") return { kind: "Duration", ns: -operand.ns, text: `-${operand.text}` };
      return { kind: "Binary", op: "*", lhs: { kind: "Integer", value: -1n }, rhs: operand };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.next(true);
    switch (t.kind) {
      case "LPAREN": {
        const e = this.expr();
        this.expect("RPAREN", ")");
        return { kind: "Paren", expr: e };
      }
      case "STRING":
        return { kind: "String", value: t.value };
      case "INTEGER":
        return { kind: "Integer", value: BigInt(t.value) };
      case "NUMBER":
        return { kind: "Number", value: Number(t.value) };
      case "DURATION":
        return { kind: "Duration", ns: durationNs(t.value) ?? this.fail(t, ["duration"]), text: t.value };
      case "REGEX":
        return { kind: "Regex", pattern: t.value };
      case "KEYWORD":
        if (t.value === "TRUE" || t.value === "FALSE") return { kind: "Boolean", value: t.value === "TRUE" };
        if (t.value === "DISTINCT") {
          // `DISTINCT x` / `DISTINCT(x)` is the same call.
          const arg = this.peek().kind === "LPAREN" ? this.callArgs() : [this.varRef(this.next())];
          return { kind: "Call", name: "distinct", args: arg };
        }
        return this.fail(t, ["identifier", "string", "number", "bool"]);
      case "OP":
        if (t.value === "*") return { kind: "Wildcard", ...this.castSuffix(true) } as Expr;
        return this.fail(t, ["identifier", "string", "number", "bool"]);
      case "IDENT":
        if (!t.quoted && this.peek().kind === "LPAREN") {
          return { kind: "Call", name: t.value.toLowerCase(), args: this.callArgs() };
        }
        return this.varRef(t);
      default:
        return this.fail(t, ["identifier", "string", "number", "bool"]);
    }
  }

  private varRef(t: Token): Expr {
    if (t.kind !== "IDENT") this.fail(t, ["identifier"]);
    const cast = this.castSuffix(false);
    return { kind: "VarRef", name: t.value, ...cast };
  }

  private castSuffix(wildcard: boolean): { dataType?: DataType } {
    if (this.peek().kind !== "DOUBLECOLON") return {};
    this.next();
    const t = this.next();
    const name = t.value.toLowerCase();
    const ok = wildcard ? name === "field" || name === "tag" : DATA_TYPES.has(name);
    if (!ok || (t.kind !== "IDENT" && t.kind !== "KEYWORD")) {
      this.fail(t, wildcard ? ["field", "tag"] : ["float", "integer", "string", "boolean", "field", "tag"]);
    }
    return { dataType: name as DataType };
  }

  private callArgs(): Expr[] {
    this.expect("LPAREN", "(");
    const args: Expr[] = [];
    if (this.peek().kind === "RPAREN") {
      this.next();
      return args;
    }
    for (;;) {
      args.push(this.expr());
      const t = this.next();
      if (t.kind === "RPAREN") return args;
      if (t.kind !== "COMMA") this.fail(t, [",", ")"]);
    }
  }
}

/**
 * InfluxDB's scanner reads past the end once more after a word, a `,`, a `~` or a call's `(` before it
 * reports EOF, so its EOF errors point one character further there (measured against InfluxDB 1.6).
 */
function eofShift(text: string): number {
  const t = text.trimEnd();
  if (t.length !== text.length) return 0;
  return /(?:[A-Za-z0-9_"]|[,~]|[A-Za-z0-9_]\()$/.test(t) ? 1 : 0;
}
