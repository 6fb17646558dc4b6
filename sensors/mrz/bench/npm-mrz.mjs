// npm-mrz.mjs: the node side of `make mrz-bench`. It parses the corpus
// (sensors/mrz/testdata/corpus.jsonl) with the npm package mrz, driven by
// the Go side (sensors/mrz/bench) over stdin/stdout, one JSON object per
// line each way:
//
//   {"cmd":"check"}              -> {"version":..., "node":..., "results":[...]}
//   {"cmd":"bench","seconds":S}  -> {"zones":N, "seconds":T, "valid":V}
//
// "check" parses every zone once and reports, per zone id, whether mrz
// threw, its verdict, format, the fields it returned and the labels of the
// details it found invalid. Error messages of the package quote the zone,
// so they are not passed on (zones are never printed). "bench" parses the
// whole corpus over and over for at least S seconds.
//
// Usage: node npm-mrz.mjs NPM_PREFIX CORPUS
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [prefix, corpusPath] = process.argv.slice(2);
if (!prefix || !corpusPath) {
  process.stderr.write('usage: node npm-mrz.mjs NPM_PREFIX CORPUS\n');
  process.exit(2);
}
const pkgDir = resolve(prefix, 'node_modules', 'mrz');
const { parse } = await import(pathToFileURL(resolve(pkgDir, 'lib', 'index.js')).href);
const version = JSON.parse(readFileSync(resolve(pkgDir, 'package.json'), 'utf8')).version;

const zones = readFileSync(corpusPath, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l));

const sexes = { male: 'M', female: 'F', nonspecified: 'X' };

function check(z) {
  let r;
  try {
    r = parse(z.lines);
  } catch (e) {
    // Classify without passing the message on: it may quote the zone.
    const msg = String(e && e.message);
    const kind = msg.startsWith('unrecognized document format') || msg.startsWith('invalid number of')
      ? 'format not recognised'
      : 'threw';
    return { id: z.id, threw: true, kind };
  }
  const f = r.fields;
  return {
    id: z.id,
    threw: false,
    format: r.format,
    valid: r.valid,
    invalid: r.details.filter((d) => !d.valid).map((d) => d.label),
    fields: {
      document_code: f.documentCode ?? null,
      issuing_state: f.issuingState ?? null,
      surname: f.lastName ?? null,
      given_names: f.firstName ?? null,
      document_number: r.documentNumber ?? null,
      nationality: f.nationality ?? null,
      birth_date: f.birthDate ?? null,
      sex: f.sex == null ? null : (sexes[f.sex] ?? f.sex),
      expiry_date: f.expirationDate ?? null,
    },
  };
}

function bench(seconds) {
  const lines = zones.map((z) => z.lines);
  let n = 0;
  let valid = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  do {
    for (const ls of lines) {
      try {
        if (parse(ls).valid) valid++;
      } catch {
        // rejected zones count as parsed
      }
    }
    n += lines.length;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < limit);
  return { zones: n, seconds: Number(elapsed) / 1e9, valid };
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (line.trim() === '') continue;
  const cmd = JSON.parse(line);
  let out;
  switch (cmd.cmd) {
    case 'check':
      out = { version, node: process.version, results: zones.map(check) };
      break;
    case 'bench':
      out = bench(cmd.seconds);
      break;
    default:
      out = { error: 'unknown command' };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
