// InfluxQL tokenizer. Regex literals are ambiguous with `/`, so the parser asks for them explicitly.
import { ParseError } from "./errors.ts";

export type TokenKind =
  | "EOF"
  | "IDENT"
  | "KEYWORD"
  | "STRING"
  | "INTEGER"
  | "NUMBER"
  | "DURATION"
  | "REGEX"
  | "OP"
  | "LPAREN"
  | "RPAREN"
  | "COMMA"
  | "DOT"
  | "DOUBLECOLON"
  | "SEMICOLON"
  | "ILLEGAL";

export interface Token {
  readonly kind: TokenKind;
  /** Normalised text: keyword upper-cased, identifier/string unquoted, operator as written. */
  readonly value: string;
  /** What to show in `found X` messages. */
  readonly raw: string;
  /** Offset into the query text. */
  readonly pos: number;
  /** True when the identifier was written in double quotes (never a keyword). */
  readonly quoted?: boolean;
}

export const KEYWORDS = new Set([
  "ALL",
  "AND",
  "AS",
  "ASC",
  "BY",
  "CREATE",
  "DATABASE",
  "DATABASES",
  "DELETE",
  "DESC",
  "DISTINCT",
  "DROP",
  "FIELD",
  "FILL",
  "FROM",
  "GROUP",
  "IN",
  "INTO",
  "KEY",
  "KEYS",
  "LIMIT",
  "MEASUREMENT",
  "MEASUREMENTS",
  "OFFSET",
  "ON",
  "OR",
  "ORDER",
  "POLICIES",
  "RETENTION",
  "SELECT",
  "SERIES",
  "SHOW",
  "SLIMIT",
  "SOFFSET",
  "TAG",
  "TRUE",
  "FALSE",
  "VALUES",
  "WHERE",
  "WITH",
]);

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  u: 1_000n,
  µ: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

export function durationNs(text: string): bigint | undefined {
  const re = /(\d+)(ns|u|µ|ms|s|m|h|d|w)/gy;
  let total = 0n;
  let at = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += BigInt(m[1] as string) * (DURATION_UNITS[m[2] as string] as bigint);
    at = re.lastIndex;
  }
  return at === text.length && at > 0 ? total : undefined;
}

const isIdentStart = (c: string): boolean => /[A-Za-z_\u0080-\uffff]/.test(c) && c !== "µ";
const isIdentChar = (c: string): boolean => /[A-Za-z0-9_\u0080-\uffff]/.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";

export class Lexer {
  constructor(readonly text: string) {}

  /** 1-based line and char of an offset, for error messages. */
  position(pos: number): { line: number; char: number } {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < pos && i < this.text.length; i++) {
      if (this.text[i] === "\n") {
        line++;
        lineStart = i + 1;
      }
    }
    return { line, char: pos - lineStart + 1 };
  }

  private fail(detail: string, pos: number): never {
    const { line, char } = this.position(pos);
    throw new ParseError(detail, line, char);
  }

  private skipSpace(pos: number): number {
    const t = this.text;
    let p = pos;
    for (;;) {
      while (p < t.length && /\s/.test(t[p] as string)) p++;
      if (t.startsWith("--", p)) {
        while (p < t.length && t[p] !== "\n") p++;
        continue;
      }
      if (t.startsWith("/*", p)) {
        const end = t.indexOf("*/", p + 2);
        p = end < 0 ? t.length : end + 2;
        continue;
      }
      return p;
    }
  }

  /** The token starting at or after `pos`, and the offset just past it. */
  scan(pos: number, regex = false): { token: Token; end: number } {
    const t = this.text;
    const p = this.skipSpace(pos);
    const c = t[p];
    if (c === undefined) return { token: { kind: "EOF", value: "", raw: "EOF", pos: p }, end: p };
    if (regex && c === "/") return this.scanRegex(p);
    const one = (kind: TokenKind, len = 1): { token: Token; end: number } => {
      const v = t.slice(p, p + len);
      return { token: { kind, value: v, raw: v, pos: p }, end: p + len };
    };
    switch (c) {
      case "(":
        return one("LPAREN");
      case ")":
        return one("RPAREN");
      case ",":
        return one("COMMA");
      case ";":
        return one("SEMICOLON");
      case ":":
        if (t[p + 1] === ":") return one("DOUBLECOLON", 2);
        return one("ILLEGAL");
      case "+":
      case "-":
      case "*":
      case "/":
      case "%":
      case "&":
      case "|":
      case "^":
        return one("OP");
      case "=":
        return t[p + 1] === "~" ? one("OP", 2) : one("OP");
      case "!":
        if (t[p + 1] === "=" || t[p + 1] === "~") return one("OP", 2);
        return one("ILLEGAL");
      case "<":
        if (t[p + 1] === "=" || t[p + 1] === ">") {
          const r = one("OP", 2);
          return t[p + 1] === ">" ? { token: { ...r.token, value: "!=" }, end: r.end } : r;
        }
        return one("OP");
      case ">":
        return t[p + 1] === "=" ? one("OP", 2) : one("OP");
      case "'":
      case '"':
        return this.scanQuoted(p, c);
      case ".":
        if (isDigit(t[p + 1])) return this.scanNumber(p);
        return one("DOT");
    }
    if (isDigit(c)) return this.scanNumber(p);
    if (isIdentStart(c)) {
      let e = p + 1;
      while (e < t.length && isIdentChar(t[e] as string)) e++;
      const word = t.slice(p, e);
      const upper = word.toUpperCase();
      if (KEYWORDS.has(upper))
        return { token: { kind: "KEYWORD", value: upper, raw: upper, pos: p }, end: e };
      return { token: { kind: "IDENT", value: word, raw: word, pos: p }, end: e };
    }
    return one("ILLEGAL");
  }

  private scanQuoted(p: number, quote: string): { token: Token; end: number } {
    const t = this.text;
    let out = "";
    let i = p + 1;
    while (i < t.length) {
      const ch = t[i] as string;
      if (ch === "\\" && i + 1 < t.length) {
        const nx = t[i + 1] as string;
        if (nx === "n") out += "\n";
        else if (nx === "\\" || nx === quote) out += nx;
        else out += `\\${nx}`;
        i += 2;
        continue;
      }
      if (ch === quote) {
        const kind: TokenKind = quote === "'" ? "STRING" : "IDENT";
        return {
          token: { kind, value: out, raw: t.slice(p, i + 1), pos: p, quoted: quote === '"' },
          end: i + 1,
        };
      }
      if (ch === "\n") break;
      out += ch;
      i++;
    }
    return this.fail(`found ${t.slice(p, i)}, expected ${quote === "'" ? "string" : "identifier"}`, p);
  }

  private scanNumber(p: number): { token: Token; end: number } {
    const t = this.text;
    let e = p;
    while (isDigit(t[e])) e++;
    // A duration: digits followed by a unit, possibly repeated (1h30m).
    const dm = /^(?:\d+(?:ns|ms|u|µ|s|m|h|d|w))+/.exec(t.slice(p));
    if (dm && !isIdentChar(t[p + dm[0].length] ?? " ")) {
      const text = dm[0];
      return { token: { kind: "DURATION", value: text, raw: text, pos: p }, end: p + text.length };
    }
    let kind: TokenKind = "INTEGER";
    if (t[e] === "." && isDigit(t[e + 1])) {
      kind = "NUMBER";
      e++;
      while (isDigit(t[e])) e++;
    } else if (t[e] === "." && e === p) {
      kind = "NUMBER";
    }
    if (
      (t[e] === "e" || t[e] === "E") &&
      (isDigit(t[e + 1]) || ((t[e + 1] === "-" || t[e + 1] === "+") && isDigit(t[e + 2])))
    ) {
      kind = "NUMBER";
      e += 2;
      while (isDigit(t[e])) e++;
    }
    const text = t.slice(p, e);
    return { token: { kind, value: text, raw: text, pos: p }, end: e };
  }

  private scanRegex(p: number): { token: Token; end: number } {
    const t = this.text;
    let out = "";
    let i = p + 1;
    while (i < t.length) {
      const ch = t[i] as string;
      if (ch === "\\" && t[i + 1] === "/") {
        out += "/";
        i += 2;
        continue;
      }
      if (ch === "\\" && i + 1 < t.length) {
        out += ch + (t[i + 1] as string);
        i += 2;
        continue;
      }
      if (ch === "/")
        return { token: { kind: "REGEX", value: out, raw: t.slice(p, i + 1), pos: p }, end: i + 1 };
      if (ch === "\n") break;
      out += ch;
      i++;
    }
    return this.fail(`found ${t.slice(p, i)}, expected regex`, p);
  }
}
