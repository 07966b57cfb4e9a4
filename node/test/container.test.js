// The shared container-envelope and multi-line vectors (tests/vectors/container/cases.json, also run by
// the Rust and Python tests): `new Parser(format, { container, multiline })` and `parseMany` give the
// same records (in the same order) and errors (with the line of their first piece) as the core.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const srekit = require('..')

const vectors = path.join(__dirname, '..', '..', 'tests', 'vectors', 'container', 'cases.json')
const camelCase = (name) => name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())
const camelKeys = (object) => Object.fromEntries(Object.entries(object).map(([k, v]) => [camelCase(k), v]))

function inputOf(vector) {
  return Buffer.concat(
    vector.lines.map((line) =>
      Buffer.concat([typeof line === 'string' ? Buffer.from(line) : Buffer.from(line.hex, 'hex'), Buffer.from('\n')]),
    ),
  )
}

test('container vectors: cases.json', async (t) => {
  const cases = JSON.parse(fs.readFileSync(vectors, 'utf8'))
  assert.ok(cases.length >= 10)
  for (const vector of cases) {
    await t.test(vector.name, () => {
      const { format, multiline, ...options } = vector.spec
      const jsOptions = camelKeys(options)
      if (multiline) jsOptions.multiline = camelKeys(multiline)
      const parser = new srekit.Parser(format, jsOptions)
      const records = parser.parseMany(inputOf(vector))
      assert.deepEqual(records, vector.records.map((r) => r.fields))
      const errors = parser.lastErrors
      assert.deepEqual(errors.map((e) => e.line), vector.errors.map((e) => e.line), JSON.stringify(errors))
      errors.forEach((got, i) => assert.ok(got.message.includes(vector.errors[i].contains), got.message))
    })
  }
})

test('bad container and multiline options throw the core message', () => {
  assert.throws(() => new srekit.Parser('raw', { container: 'podman' }), /unknown container format/)
  assert.throws(() => new srekit.Parser('raw', { multiline: { maxLines: 3 } }), /either `start` or `preset`/)
})

test('parseStream joins pieces split across chunks', async () => {
  const parser = new srekit.Parser('raw', { container: 'cri' })
  assert.equal(parser.framed, true)
  assert.equal(new srekit.Parser('raw').framed, false)
  const chunks = ['2024-05-01T10:00:00Z stdout P ab', 'c\n2024-05-01T10:00:00Z std', 'out F d\n']
  const records = []
  for await (const record of parser.parseStream(chunks)) records.push(record)
  assert.deepEqual(records, [{ message: 'abcd', stream: 'stdout', time: '2024-05-01T10:00:00Z' }])
})

function parserOf(vector) {
  const { format, multiline, ...options } = vector.spec
  const jsOptions = camelKeys(options)
  if (multiline) jsOptions.multiline = camelKeys(multiline)
  return new srekit.Parser(format, jsOptions)
}

function chunksOf(data, size) {
  const chunks = []
  for (let at = 0; at < data.length; at += size) chunks.push(data.subarray(at, at + size))
  return chunks
}

test('container vectors through parseStream and applyStream in small chunks', async (t) => {
  // Pieces, escapes, UTF-8 sequences and multi-line events straddle chunk boundaries: the native
  // RecordFeed carries them from chunk to chunk, so every chunk size gives the vector's result.
  const cases = JSON.parse(fs.readFileSync(vectors, 'utf8'))
  for (const vector of cases) {
    await t.test(vector.name, async () => {
      const parser = parserOf(vector)
      const data = inputOf(vector)
      for (const size of [1, 2, 3, 7, 64, data.length]) {
        const records = []
        const errors = []
        for await (const record of parser.parseStream(chunksOf(data, size), { onError: (e) => errors.push(e) })) {
          records.push(record)
        }
        assert.deepEqual(records, vector.records.map((r) => r.fields), `chunks of ${size}`)
        assert.deepEqual(errors.map((e) => e.line), vector.errors.map((e) => e.line), JSON.stringify(errors))
        errors.forEach((got, i) => assert.ok(got.message.includes(vector.errors[i].contains), got.message))

        const registry = new srekit.Registry()
        const rules = new srekit.LogRules(registry, [{ name: 'events_total', help: 'E.', kind: 'counter' }])
        const lines = []
        const totals = await rules.applyStream(parser, chunksOf(data, size), { onError: (e) => lines.push(e.line) })
        assert.deepEqual(totals, { records: vector.records.length, errors: vector.errors.length })
        assert.deepEqual(lines, vector.errors.map((e) => e.line))
      }
    })
  }
})

test('parseMany of a large framed input (two threads, one feed) numbers lines from the start', () => {
  const parser = new srekit.Parser('logfmt', { container: 'cri' })
  const unit = '2024-05-01T10:00:00Z stdout P a=\n2024-05-01T10:00:00Z stdout F 1 b=2\nbroken\n'
  const repeats = 40000 // ~3 MB: several pieces, with pieces straddling their boundaries
  const records = parser.parseMany(Buffer.from(unit.repeat(repeats)))
  assert.equal(records.length, repeats)
  assert.ok(records.every((r) => r.a === '1' && r.b === '2' && r.stream === 'stdout'))
  const errors = parser.lastErrors
  assert.equal(errors.length, repeats)
  assert.ok(errors.every((e, i) => e.line === 3 * i + 3), JSON.stringify(errors.slice(0, 3)))
})

const MEMORY_CHILD = `
const srekit = require(process.argv[1])
const peakKib = () => Number(/VmHWM:\\s+(\\d+)/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1])
;(async () => {
  const parser = new srekit.Parser('raw', { container: 'cri', multiline: { start: '^event' } })
  const before = peakKib()
  let count = 0
  let length = 0
  for await (const record of parser.parseFile(process.argv[2])) {
    count += 1
    length += record.message.length
  }
  console.log(count, length, peakKib() - before)
})()
`

test('parseFile of a framed parser streams a large file in bounded memory', (t) => {
  // ~200 MB of CRI lines: each event is a partial piece, its final piece and a continuation line (a
  // multi-line event), so pieces and events straddle the read stream's chunk boundaries.
  const os = require('node:os')
  const { spawnSync } = require('node:child_process')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srekit-stream-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const event =
    '2024-05-01T10:00:00.000000001Z stdout P event ' + 'x'.repeat(900) + '\n' +
    '2024-05-01T10:00:00.000000002Z stdout F ' + 'y'.repeat(900) + '\n' +
    '2024-05-01T10:00:00.000000003Z stdout F   continued\n'
  const block = Buffer.from(event.repeat(1000))
  const repeats = Math.floor((200 << 20) / block.length)
  const file = path.join(dir, 'big.log')
  const fd = fs.openSync(file, 'w')
  for (let i = 0; i < repeats; i++) fs.writeSync(fd, block)
  fs.closeSync(fd)
  const size = fs.statSync(file).size
  const done = spawnSync(process.execPath, ['-e', MEMORY_CHILD, path.join(__dirname, '..'), file], { encoding: 'utf8', timeout: 120000 })
  assert.equal(done.status, 0, done.stderr)
  const [count, length, growthKib] = done.stdout.trim().split(' ').map(Number)
  assert.equal(count, repeats * 1000)
  assert.equal(length, count * ('event ' + 'x'.repeat(900) + 'y'.repeat(900) + '\n  continued').length)
  // The whole file read at once would need its 200 MB and more; the feed needs a chunk at a time.
  assert.ok(growthKib * 1024 < size / 8, `peak RSS grew ${growthKib} KiB for a ${size}-byte file`)
})
