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
