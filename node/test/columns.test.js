'use strict'
// parser.parseColumns: Arrow IPC bytes read with `apache-arrow`. The shared log vectors
// (tests/vectors/logs, also run by the Rust and Python tests), each file's cases grouped by parser into
// one buffer, must give the rows and errors parseMany gives for the same buffer; then typing and options.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { tableFromIPC, Type } = require('apache-arrow')
const srekit = require('..')

const LOGS = path.join(__dirname, '..', '..', 'tests', 'vectors', 'logs')
const camelCase = (name) => name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())

// Each group of cases sharing a parser: [parser, buffer of their one-line inputs].
function buffers(file) {
  const groups = new Map()
  for (const vector of JSON.parse(fs.readFileSync(path.join(LOGS, file), 'utf8'))) {
    if (typeof vector.input !== 'string') continue
    const line = vector.input.replace(/\r?\n$/, '')
    if (/[\r\n]/.test(line)) continue
    const options = Object.fromEntries(Object.entries(vector.options || {}).map(([k, v]) => [camelCase(k), v]))
    const key = JSON.stringify([vector.format, options])
    if (!groups.has(key)) groups.set(key, [new srekit.Parser(vector.format, options), []])
    groups.get(key)[1].push(line)
  }
  return [...groups.values()].map(([parser, lines]) => [parser, Buffer.from(lines.join('\n') + '\n')])
}

// How a non-string value reads in a column that fell back to utf8: compact JSON with object members
// in key order (as the core's serde_json map keeps them).
function asText(value) {
  const sorted = (v) => {
    if (typeof v === 'bigint') return Number(v)
    if (Array.isArray(v)) return v.map(sorted)
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]))
    return v
  }
  if (typeof value === 'object') return JSON.stringify(sorted(value))
  return String(value)
}

function sameCell(got, want, typeId) {
  if (want === undefined || want === null) return got === null
  if (got === null) return false
  if (typeId === Type.Float) return typeof want !== 'boolean' && Number(want) === got
  if (typeId === Type.Int) return typeof want !== 'boolean' && typeof want !== 'string' && BigInt(want) === got
  // Numbers written as text: Rust's shortest form (1e21, -9.2e18) need not be JavaScript's.
  if (typeId === Type.Utf8 && typeof want === 'number') return Number(got) === want
  if (typeId === Type.Utf8 && typeof want === 'bigint') return BigInt(got) === want
  if (typeId === Type.Utf8 && typeof want !== 'string') return got === asText(want)
  return got === want
}

const files = fs.readdirSync(LOGS).filter((f) => f.endsWith('.json')).sort()

for (const file of files) {
  test(`parseColumns on the shared vectors: ${file}`, () => {
    let rows = 0
    for (const [parser, data] of buffers(file)) {
      const records = parser.parseMany(data)
      const errors = parser.lastErrors
      const table = tableFromIPC(parser.parseColumns(data))
      assert.deepEqual(parser.lastErrors, errors)
      assert.equal(table.numRows, records.length)
      const names = table.schema.fields.map((f) => f.name)
      records.forEach((record, row) => {
        for (const key of Object.keys(record)) assert.ok(names.includes(key), `${file}: no column ${key}`)
        for (const field of table.schema.fields.slice(1)) {
          const got = table.getChild(field.name).get(row)
          const want = record[field.name]
          assert.ok(sameCell(got, want, field.typeId), `${file} ${field.name}: ${got} vs ${asText(want)}`)
        }
      })
      rows += records.length
    }
    assert.ok(rows > 0 || file === 'limits.json' || file === 'utf8.json') // their cases are errors or raw bytes
  })
}

test('parseColumns types the columns and puts nulls where a record lacks the field', () => {
  const parser = new srekit.Parser('logfmt', { types: { status: 'int', duration: 'float', ok: 'bool' } })
  const ipc = parser.parseColumns('status=200 duration=0.25 ok=true path=/a\nstatus=503 path=/b\nmsg="open\nok=false\n')
  assert.ok(Buffer.isBuffer(ipc))
  const table = tableFromIPC(ipc)
  assert.deepEqual(table.schema.fields.map((f) => [f.name, String(f.type)]),
    [['line', 'Int64'], ['status', 'Int64'], ['duration', 'Float64'], ['ok', 'Bool'], ['path', 'Utf8']])
  assert.deepEqual([...table.getChild('line')], [1n, 2n, 4n])
  assert.deepEqual([...table.getChild('status')], [200n, 503n, null])
  assert.deepEqual([...table.getChild('ok')], [true, null, false])
  assert.deepEqual(parser.lastErrors, [{ line: 3, offset: 4, message: 'byte 4: unterminated quoted value' }])
})

test('parseColumns options: fields, firstLine, lineColumn, timestampColumn', () => {
  const parser = new srekit.Parser('logfmt', { timeKey: 'ts' })
  const data = Buffer.from('ts=2023-11-14T22:13:20Z a=1 b=2\nb=3\n')
  const table = tableFromIPC(parser.parseColumns(data, { fields: ['b', 'zzz'], firstLine: 10, timestampColumn: 'timestamp' }))
  assert.deepEqual(table.schema.fields.map((f) => f.name), ['line', 'b', 'zzz', 'timestamp'])
  assert.deepEqual([...table.getChild('line')], [10n, 11n])
  assert.deepEqual([...table.getChild('timestamp')], [1700000000, null])
  assert.equal(table.getChild('zzz').nullCount, 2)
  const bare = tableFromIPC(parser.parseColumns(data, { lineColumn: false }))
  assert.deepEqual(bare.schema.fields.map((f) => f.name), ['ts', 'a', 'b'])
  const json = tableFromIPC(new srekit.Parser('json').parseColumns('{"n":1,"m":1}\n{"n":0.5,"m":"x"}\n[]\n'))
  assert.deepEqual(json.schema.fields.map((f) => String(f.type)), ['Int64', 'Float64', 'Utf8'])
  assert.deepEqual([...json.getChild('m')], ['1', 'x'])
  assert.equal(json.numRows, 2)
})

test('parseColumns results of megabytes stay intact while later calls reuse memory', () => {
  // Large enough (about 2 MB of IPC bytes) for the core's column pool and the one-call prefault.
  const lines = (tag) => Array.from({ length: 40000 }, (_, i) => `tag=${tag} n=${i} text="${tag}-${i % 977}-${'x'.repeat(i % 23)}"`)
  const parser = new srekit.Parser('logfmt')
  const first = parser.parseColumns(lines('first').join('\n') + '\n')
  assert.ok(Buffer.isBuffer(first) && first.length > 1 << 20, `${first.length} bytes`)
  const kept = tableFromIPC(first)
  for (let k = 0; k < 4; k++) {
    const other = tableFromIPC(parser.parseColumns(lines(`other${k}`).join('\n') + '\n'))
    assert.equal(other.getChild('tag').get(39999), `other${k}`)
  }
  if (global.gc) global.gc()
  assert.equal(kept.numRows, 40000)
  const want = lines('first')
  for (const row of [0, 1, 977, 20000, 39999]) {
    assert.equal(`tag=${kept.getChild('tag').get(row)} n=${kept.getChild('n').get(row)} text="${kept.getChild('text').get(row)}"`, want[row])
  }
})
