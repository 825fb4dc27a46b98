// The InfluxQL corpus diffed against InfluxDB: the subset Sediment supports, plus error cases.
// `epoch` unset means RFC3339 times. `db: null` sends no database.

export interface CompatQuery {
  readonly q: string;
  readonly epoch?: string;
  readonly db?: string | null;
  /**
   * Set when InfluxDB 1.6 answers differently from the documented 1.8/2.x behaviour and we follow the
   * documentation: the answer is then derived from InfluxDB's answer to `base` (the query without
   * SLIMIT/SOFFSET) by keeping series [soffset, soffset + slimit).
   */
  readonly documented?: {
    readonly reason: string;
    readonly base: string;
    readonly slimit: number;
    readonly soffset: number;
  };
}

const SLIMIT_1_6 =
  "InfluxDB 1.6 drops series under SLIMIT/SOFFSET on raw GROUP BY * queries; documented: SLIMIT N SOFFSET M returns series M..M+N-1";

const W = "time >= '2023-12-31T23:55:00Z' AND time < '2024-01-01T00:30:00Z'";
const W10 = "time >= '2024-01-01T00:00:00Z' AND time < '2024-01-01T00:10:00Z'";

export const QUERIES: readonly CompatQuery[] = [
  // Raw selection
  { q: "SELECT * FROM cpu WHERE host = 'a' LIMIT 5", epoch: "ns" },
  { q: "SELECT * FROM cpu WHERE host = 'c' LIMIT 3" },
  { q: "SELECT usage_user, host FROM cpu WHERE region = 'us-east' LIMIT 4", epoch: "ms" },
  { q: "SELECT usage_system FROM cpu WHERE host = 'a' LIMIT 6", epoch: "s" },
  { q: "SELECT * FROM weather", epoch: "ns" },
  { q: "SELECT * FROM weather" },
  { q: "SELECT desc, ok FROM weather", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE zone = ''", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE zone != 'eu'", epoch: "ns" },
  { q: "SELECT * FROM mem WHERE host = 'b' ORDER BY time DESC LIMIT 3", epoch: "ns" },
  { q: "SELECT used, note FROM mem WHERE note = 'n0'", epoch: "u" },
  {
    q: "SELECT * FROM cpu WHERE time >= '2024-01-01T00:00:00Z' AND time <= '2024-01-01T00:00:00.000000001Z'",
  },
  { q: "SELECT * FROM cpu WHERE time > '2024-01-01T00:05:00Z' AND host = 'b' LIMIT 2 OFFSET 1", epoch: "ns" },
  { q: "SELECT usage_user FROM cpu GROUP BY host LIMIT 2", epoch: "ns" },
  { q: "SELECT usage_user FROM cpu GROUP BY * LIMIT 2", epoch: "ns" },
  { q: "SELECT temp FROM weather GROUP BY city, zone", epoch: "ns" },
  { q: "SELECT * FROM weather GROUP BY zone", epoch: "ns" },
  {
    q: "SELECT temp FROM weather GROUP BY * SLIMIT 2",
    epoch: "ns",
    documented: { reason: SLIMIT_1_6, base: "SELECT temp FROM weather GROUP BY *", slimit: 2, soffset: 0 },
  },
  {
    q: "SELECT temp FROM weather GROUP BY * SLIMIT 2 SOFFSET 1",
    epoch: "ns",
    documented: { reason: SLIMIT_1_6, base: "SELECT temp FROM weather GROUP BY *", slimit: 2, soffset: 1 },
  },
  { q: "SELECT temp FROM weather GROUP BY city ORDER BY time DESC LIMIT 1", epoch: "ns" },
  // Arithmetic and aliases
  { q: "SELECT usage_user + usage_idle AS total FROM cpu WHERE host = 'a' LIMIT 3", epoch: "ns" },
  { q: "SELECT usage_user * 2, usage_idle / 4 FROM cpu WHERE host = 'b' LIMIT 3", epoch: "ns" },
  { q: "SELECT used - free AS diff, used % 7 FROM mem WHERE host = 'a' LIMIT 4", epoch: "ns" },
  { q: "SELECT hum * 2, hum / 3 FROM weather WHERE city = 'lima'", epoch: "ns" },
  { q: "SELECT temp AS t, temp FROM weather WHERE city = 'oslo'", epoch: "ns" },
  // WHERE on fields, tags, regex
  { q: "SELECT temp FROM weather WHERE temp > 0 AND temp < 5", epoch: "ns" },
  { q: "SELECT temp, hum FROM weather WHERE hum >= 80 OR temp < -7.9", epoch: "ns" },
  { q: "SELECT desc FROM weather WHERE desc = 'snow'", epoch: "ns" },
  { q: "SELECT ok FROM weather WHERE ok = true", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE city =~ /^(paris|oslo)$/", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE city !~ /o/", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE desc =~ /r/", epoch: "ns" },
  { q: "SELECT temp FROM /wea.*/ WHERE city = 'new york'", epoch: "ns" },
  { q: "SELECT usage_user FROM cpu WHERE host = 'a' AND (usage_user > 90 OR usage_user < 5)", epoch: "ns" },
  // Aggregates over everything
  { q: `SELECT count(usage_user), sum(usage_user), mean(usage_user) FROM cpu WHERE ${W}`, epoch: "ns" },
  { q: "SELECT count(*) FROM weather", epoch: "ns" },
  { q: "SELECT count(desc), count(ok), count(hum) FROM weather", epoch: "ns" },
  { q: "SELECT count(usage_system) FROM cpu GROUP BY host", epoch: "ns" },
  { q: "SELECT mean(temp), median(temp), spread(temp), stddev(temp) FROM weather", epoch: "ns" },
  { q: "SELECT mode(hum), mode(desc) FROM weather", epoch: "ns" },
  { q: "SELECT sum(used), mean(used), median(used) FROM mem GROUP BY host", epoch: "ns" },
  { q: "SELECT spread(used), stddev(used) FROM mem", epoch: "ns" },
  { q: "SELECT distinct(desc) FROM weather", epoch: "ns" },
  { q: "SELECT distinct(hum) FROM weather GROUP BY city", epoch: "ns" },
  { q: "SELECT count(distinct(hum)) FROM weather", epoch: "ns" },
  // Selectors: the point's own time
  { q: "SELECT max(temp) FROM weather", epoch: "ns" },
  { q: "SELECT min(temp) FROM weather GROUP BY city" },
  { q: "SELECT first(desc) FROM weather", epoch: "ns" },
  { q: "SELECT last(temp) FROM weather GROUP BY *", epoch: "ns" },
  { q: "SELECT last(*) FROM weather", epoch: "ns" },
  { q: "SELECT first(*) FROM mem GROUP BY host", epoch: "ns" },
  { q: "SELECT max(*) FROM cpu GROUP BY host", epoch: "ns" },
  { q: "SELECT percentile(temp, 50) FROM weather", epoch: "ns" },
  { q: "SELECT percentile(usage_user, 95) FROM cpu GROUP BY host", epoch: "ns" },
  { q: "SELECT max(temp), min(temp) FROM weather", epoch: "ns" },
  { q: "SELECT max(temp), city FROM weather", epoch: "ns" },
  { q: "SELECT max(used) * 2 FROM mem", epoch: "ns" },
  { q: `SELECT max(usage_user) FROM cpu WHERE ${W}`, epoch: "ns" },
  // GROUP BY time, offsets, fill
  { q: `SELECT mean(usage_user) FROM cpu WHERE ${W} GROUP BY time(5m)`, epoch: "ns" },
  { q: `SELECT mean(usage_user) FROM cpu WHERE ${W} GROUP BY time(5m)` },
  { q: `SELECT count(usage_system) FROM cpu WHERE ${W} GROUP BY time(7m)`, epoch: "s" },
  { q: `SELECT max(usage_user) FROM cpu WHERE ${W} GROUP BY time(10m, 3m), host`, epoch: "ns" },
  { q: `SELECT max(usage_user) FROM cpu WHERE ${W} GROUP BY time(10m, -1m)`, epoch: "ns" },
  { q: `SELECT mean(temp) FROM weather WHERE ${W10} GROUP BY time(1m)`, epoch: "ns" },
  { q: `SELECT mean(temp) FROM weather WHERE ${W10} GROUP BY time(1m) fill(none)`, epoch: "ns" },
  { q: `SELECT mean(temp) FROM weather WHERE ${W10} GROUP BY time(1m) fill(0)`, epoch: "ns" },
  { q: `SELECT mean(temp) FROM weather WHERE ${W10} GROUP BY time(1m) fill(-1.5)`, epoch: "ns" },
  { q: `SELECT mean(temp) FROM weather WHERE ${W10} GROUP BY time(1m) fill(previous)`, epoch: "ns" },
  { q: `SELECT mean(temp) FROM weather WHERE ${W10} GROUP BY time(1m) fill(linear)`, epoch: "ns" },
  { q: `SELECT count(hum) FROM weather WHERE ${W10} GROUP BY time(2m)`, epoch: "ns" },
  {
    q: `SELECT count(hum), mean(hum) FROM weather WHERE ${W10} GROUP BY time(2m), city fill(none)`,
    epoch: "ns",
  },
  { q: `SELECT sum(hum) FROM weather WHERE ${W10} GROUP BY time(3m), * fill(linear)`, epoch: "ns" },
  { q: `SELECT last(temp) FROM weather WHERE ${W10} GROUP BY time(4m)`, epoch: "ns" },
  { q: `SELECT first(temp), last(temp) FROM weather WHERE ${W10} GROUP BY time(4m)`, epoch: "ns" },
  { q: `SELECT max(temp) FROM weather WHERE ${W10} GROUP BY time(4m) ORDER BY time DESC`, epoch: "ns" },
  { q: `SELECT mean(temp) FROM weather WHERE ${W10} GROUP BY time(1m) LIMIT 3 OFFSET 2`, epoch: "ns" },
  {
    q: `SELECT mean(usage_user) FROM cpu WHERE ${W} GROUP BY time(10m), host SLIMIT 1 SOFFSET 1`,
    epoch: "ns",
  },
  { q: `SELECT mean(usage_user) FROM cpu WHERE ${W} GROUP BY time(1h)`, epoch: "ns" },
  { q: `SELECT mean(usage_user) FROM cpu WHERE ${W} GROUP BY time(1d)`, epoch: "ns" },
  { q: `SELECT mean(usage_user) FROM cpu WHERE ${W} GROUP BY time(15m), region`, epoch: "ns" },
  { q: `SELECT spread(used) FROM mem WHERE ${W10} GROUP BY time(5m)`, epoch: "ms" },
  { q: `SELECT distinct(desc) FROM weather WHERE ${W10} GROUP BY time(5m)`, epoch: "ns" },
  {
    q: `SELECT median(usage_user), percentile(usage_user, 90) FROM cpu WHERE ${W} GROUP BY time(10m)`,
    epoch: "ns",
  },
  { q: `SELECT mean(temp) * 10 FROM weather WHERE ${W10} GROUP BY time(5m)`, epoch: "ns" },
  // SHOW
  { q: "SHOW DATABASES", db: null },
  { q: "SHOW MEASUREMENTS" },
  { q: "SHOW MEASUREMENTS WITH MEASUREMENT =~ /e/" },
  { q: "SHOW TAG KEYS" },
  { q: "SHOW TAG KEYS FROM weather" },
  { q: "SHOW TAG VALUES WITH KEY = host" },
  { q: "SHOW TAG VALUES FROM weather WITH KEY IN (city, zone)" },
  { q: "SHOW TAG VALUES FROM cpu WITH KEY = region WHERE host = 'b'" },
  { q: "SHOW FIELD KEYS" },
  { q: "SHOW FIELD KEYS FROM mem" },
  { q: "SHOW SERIES" },
  { q: "SHOW SERIES FROM weather WHERE zone = 'eu'" },
  { q: "SHOW RETENTION POLICIES" },
  // More shapes: quoted names, time literal forms, wildcards by type, several measurements
  { q: 'SELECT "temp" FROM "benchdb"."autogen"."weather" WHERE "city" = \'oslo\'', epoch: "ns" },
  { q: "SELECT *::field FROM weather WHERE city = 'paris'", epoch: "ns" },
  { q: "SELECT *::tag, temp FROM weather WHERE city = 'paris'", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE time >= 1704067500000000000", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE time >= 1704067500s AND time < 1704067560000ms", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE time > now() - 100000d AND city = 'lima'", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE time = '2024-01-01T00:05:00Z'", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE time > '2030-01-01T00:00:00Z'", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE temp = 4", epoch: "ns" },
  { q: "SELECT hum FROM weather WHERE hum = 80.0", epoch: "ns" },
  { q: "SELECT desc FROM weather WHERE desc != 'rain'", epoch: "ns" },
  { q: "SELECT count(temp) FROM weather, mem", epoch: "ns" },
  { q: "SELECT count(used) FROM weather, mem", epoch: "ns" },
  { q: "SELECT mean(*) FROM weather", epoch: "ns" },
  { q: `SELECT count(*) FROM weather WHERE ${W10} GROUP BY time(5m)`, epoch: "ns" },
  { q: "SELECT last(temp), desc FROM weather", epoch: "ns" },
  { q: "SELECT min(temp), hum, city FROM weather GROUP BY zone", epoch: "ns" },
  { q: "SELECT count(ok), first(ok), last(ok) FROM weather", epoch: "ns" },
  { q: "SELECT max(desc) FROM weather", epoch: "ns" },
  { q: 'SELECT sum("desc") FROM weather', epoch: "ns" },
  { q: 'SELECT max("desc"), min(ok) FROM weather', epoch: "ns" },
  { q: "SELECT mean(ok) FROM weather", epoch: "ns" },
  { q: "SELECT spread(ok) FROM weather", epoch: "ns" },
  { q: "SELECT median(note) FROM mem", epoch: "ns" },
  { q: "SELECT mean(temp) FROM weather WHERE city = 'quito'", epoch: "ns" },
  { q: "SELECT count(temp) FROM weather WHERE city = 'quito'", epoch: "ns" },
  { q: "SELECT mean(temp) FROM weather WHERE time >= '2024-01-01T00:08:30Z' GROUP BY city", epoch: "ns" },
  {
    q: "SELECT mean(temp) FROM weather WHERE time >= '2024-01-01T00:08:30Z' AND time < '2024-01-01T00:10:00Z' GROUP BY time(1m), city",
    epoch: "ns",
  },
  { q: "SELECT temp FROM weather GROUP BY *", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE time > '2024-01-01T00:06:00Z' GROUP BY * SLIMIT 1", epoch: "ns" },
  { q: "SELECT percentile(temp, 0), percentile(temp, 100) FROM weather", epoch: "ns" },
  { q: "SELECT stddev(hum) FROM weather GROUP BY city", epoch: "ns" },
  { q: "SELECT used / 2 FROM mem WHERE host = 'a' LIMIT 2", epoch: "ns" },
  { q: `SELECT mean(used) FROM mem WHERE ${W10} GROUP BY time(2m) fill(linear)`, epoch: "ns" },
  { q: `SELECT sum(used) FROM mem WHERE ${W10} GROUP BY time(3m) fill(previous)`, epoch: "h" },
  { q: `SELECT first(temp) FROM weather WHERE ${W10} GROUP BY time(5m), city`, epoch: "m" },
  { q: `SELECT mean(temp) FROM weather WHERE ${W10} GROUP BY time(1m), city`, epoch: "ns" },
  { q: `SELECT mean(temp) FROM weather WHERE ${W10} GROUP BY time(1m) LIMIT 2`, epoch: "ns" },
  { q: `SELECT max(usage_user) FROM cpu WHERE ${W} GROUP BY time(10m, 13m)`, epoch: "ns" },
  {
    q: `SELECT count(usage_user) FROM cpu WHERE ${W} GROUP BY time(5m), host fill(none) SLIMIT 2`,
    epoch: "ns",
  },
  {
    q: `SELECT mean(usage_user) FROM cpu WHERE ${W} GROUP BY time(10m), host ORDER BY time DESC`,
    epoch: "ns",
  },
  { q: "SELECT max(temp) FROM weather GROUP BY city ORDER BY time DESC", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE time >= '2024-01-01 00:05:00'", epoch: "ns" },
  { q: "SELECT mean(temp) FROM weather WHERE city = 'quito'", epoch: "ns" },
  { q: "SELECT mean(temp), count(hum) FROM weather GROUP BY city", epoch: "ns" },
  { q: "SELECT distinct(desc) FROM weather", epoch: "ns" },
  { q: "SELECT temp FROM weather WHERE city = 'paris' OR hum > 85", epoch: "ns" },
  {
    q: "SELECT usage_user FROM cpu WHERE host =~ /^[ab]$/ AND time >= '2024-01-01T00:10:00Z' LIMIT 3",
    epoch: "ns",
  },
  { q: "SHOW TAG VALUES FROM weather WITH KEY = city LIMIT 2" },
  { q: "SHOW MEASUREMENTS LIMIT 1 OFFSET 1" },
  { q: "SHOW SERIES LIMIT 3" },
  { q: "SHOW FIELD KEYS FROM /w.*/" },
  { q: "SHOW TAG KEYS FROM nosuch" },
  { q: "SHOW MEASUREMENTS WHERE city = 'lima'" },
  { q: "SELECT temp FROM weather", epoch: "ns", db: "benchdb" },
  { q: "SELECT v FROM m WHERE x = 1 AND" },
  { q: "SELECT mean(" },
  { q: "SELECT v FROM m WHERE (" },
  // Several statements, errors
  { q: "SELECT count(temp) FROM weather; SELECT count(used) FROM mem", epoch: "ns" },
  { q: "SELECT count(temp) FROM nosuch", epoch: "ns" },
  { q: "SELECT nosuch FROM weather", epoch: "ns" },
  { q: "SELECT FROM weather" },
  { q: "SELECT temp FROM weather WHERE", epoch: "ns" },
  { q: "SELECT mean(temp), temp FROM weather" },
  { q: "SELECT temp FROM weather GROUP BY time(1m)" },
  { q: "SELECT foo(temp) FROM weather" },
  { q: "SELECT percentile(temp) FROM weather" },
  { q: "SELECT count(temp) FROM weather", db: null },
  { q: "SELECT count(temp) FROM weather", db: "nodb" },
  { q: "SELECT temp FROM weather", epoch: "x" },
];
