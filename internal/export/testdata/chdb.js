// Runs each SQL statement given as a JSON array in argv[2] with chdb (embedded ClickHouse,
// whose deltaLakeLocal() reads Delta tables through delta-kernel-rs) and prints one JSON
// array of results: per statement, the rows as objects. The working directory must contain
// the tables (ClickHouse's user_files_path).
const { query } = require('chdb');
const out = [];
for (const sql of JSON.parse(process.argv[2])) {
  try {
    const text = query(sql, 'JSONEachRow');
    out.push(text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l)));
  } catch (e) {
    console.error(`chdb: ${sql}: ${e}`);
    process.exit(2);
  }
}
process.stdout.write(JSON.stringify(out));
