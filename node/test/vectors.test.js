'use strict'
// Runs the shared vectors (tests/vectors/) through the Node binding: the same cases the Rust core and
// the Python binding run, so all three agree.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const srekit = require('..')

const VECTORS = path.join(__dirname, '..', '..', 'tests', 'vectors')

// The vector files hold integers beyond 2^53 (u64 max, i64 min) that JSON.parse would round. Before
// parsing, an integer of 16+ digits written as a JSON member value (an unescaped quote, a colon, the
// digits) is wrapped as {"$bigint": "digits"}; `revive` turns it back into the exact BigInt (or a number
// when it is a safe integer), which is how the binding returns such integers.
function loadVectors(file) {
  const raw = fs.readFileSync(path.join(VECTORS, file), 'utf8')
  const marked = raw.replace(/((?<!\\)"\s*:\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1{"$bigint": "$2"}')
  return revive(JSON.parse(marked))
}

function revive(value) {
  if (Array.isArray(value)) return value.map(revive)
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value)
    if (keys.length === 1 && keys[0] === '$bigint') {
      const big = BigInt(value.$bigint)
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big
    }
    const out = {}
    for (const key of keys) {
      if (key === '__proto__') Object.defineProperty(out, key, { value: revive(value[key]), enumerable: true, writable: true, configurable: true })
      else out[key] = revive(value[key])
    }
    return out
  }
  return value
}

function parserFor(vector) {
  const options = vector.options || {}
  const jsOptions = {}
  if (options.types) jsOptions.types = options.types
  if (options.time_key !== undefined) jsOptions.timeKey = options.time_key
  if (options.time_format !== undefined) jsOptions.timeFormat = options.time_format
  if (options.lossy_utf8 !== undefined) jsOptions.lossyUtf8 = options.lossy_utf8
  if (options.max_line_length !== undefined) jsOptions.maxLineLength = options.max_line_length
  if (options.regex !== undefined) jsOptions.regex = options.regex
  return new srekit.Parser(vector.format, jsOptions)
}

function inputOf(vector) {
  return vector.input_base64 !== undefined ? Buffer.from(vector.input_base64, 'base64') : vector.input
}

const logFiles = fs.readdirSync(path.join(VECTORS, 'logs')).filter((f) => f.endsWith('.json')).sort()

for (const file of logFiles) {
  test(`log vectors: ${file}`, async (t) => {
    for (const vector of loadVectors(path.join('logs', file))) {
      await t.test(vector.name, () => {
        const parser = parserFor(vector)
        const input = inputOf(vector)
        const text = Buffer.isBuffer(input) ? input : Buffer.from(input)
        const body = text.toString('latin1').replace(/\r?\n$/, '')
        const oneLine = !body.includes('\n') && body.length > 0
        if (vector.error) {
          assert.throws(
            () => parser.parse(input),
            (err) => {
              assert.ok(err.message.includes(vector.error.contains), `${err.message} lacks ${vector.error.contains}`)
              if (vector.error.offset !== undefined) assert.equal(err.offset, vector.error.offset)
              return true
            },
          )
          if (oneLine) {
            assert.deepEqual(parser.parseMany(input), [])
            assert.equal(parser.lastErrors.length, 1)
            assert.equal(parser.lastErrors[0].line, 1)
            if (vector.error.offset !== undefined) assert.equal(parser.lastErrors[0].offset, vector.error.offset)
            assert.ok(parser.lastErrors[0].message.includes(vector.error.contains))
          }
          return
        }
        const entry = parser.parseEntry(input)
        assert.deepEqual(entry.record, vector.expect)
        assert.deepEqual(parser.parse(input), vector.expect)
        if (vector.get) {
          const paths = Object.keys(vector.get)
          const values = parser.extract(input, paths)
          paths.forEach((p, i) => {
            // `null` in a vector means absent (undefined here) or a JSON null
            if (vector.get[p] === null) assert.ok(values[i] === undefined || values[i] === null, `${p}: ${values[i]}`)
            else assert.deepEqual(values[i], vector.get[p], p)
          })
        }
        if ('timestamp' in vector) {
          if (vector.timestamp === null) assert.equal(entry.timestamp, null)
          else assert.ok(Math.abs(entry.timestamp - vector.timestamp) < 1e-6, `${entry.timestamp} != ${vector.timestamp}`)
        }
        if (oneLine) {
          // the batch path (columnar hand-off + compiled shapes) gives the same record, also when the
          // shape repeats enough to get a compiled factory
          const many = parser.parseManyEntries(Buffer.concat(Array(10).fill(Buffer.concat([text, Buffer.from('\n')]))))
          assert.equal(many.errors.length, 0)
          assert.equal(many.records.length, 10)
          for (const record of many.records) assert.deepEqual(record, vector.expect)
          if ('timestamp' in vector && vector.timestamp !== null) assert.ok(Math.abs(many.timestamps[0] - vector.timestamp) < 1e-6)
          if ('timestamp' in vector && vector.timestamp === null) assert.ok(Number.isNaN(many.timestamps[0]))
        }
      })
    }
  })
}

// The shared parser vectors (tests/vectors/parser/): specs build (or fail with the core's message) as
// in Rust and Python, and a stream cut into chunks of any size gives the same records and errors.
const camelCase = (name) => name.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase())
const jsOptionsOf = (spec) => Object.fromEntries(Object.entries(spec).map(([key, value]) => [camelCase(key), value]))

test('parser vectors: spec.json', async (t) => {
  for (const vector of loadVectors(path.join('parser', 'spec.json'))) {
    await t.test(vector.name, () => {
      const { format, ...options } = vector.spec
      if (vector.error !== undefined) {
        assert.throws(() => new srekit.Parser(format, jsOptionsOf(options)), (err) => err.message.includes(vector.error), vector.error)
        return
      }
      assert.deepEqual(new srekit.Parser(format, jsOptionsOf(options)).parse(vector.input), vector.expect)
    })
  }
})

test('parser vectors: feed.json', async (t) => {
  for (const vector of loadVectors(path.join('parser', 'feed.json'))) {
    await t.test(vector.name, async () => {
      const parser = new srekit.Parser(vector.format, jsOptionsOf(vector.options || {}))
      const bytes = Buffer.from(vector.input)
      for (const size of vector.chunk_sizes) {
        const chunks = []
        for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size))
        const errors = []
        const records = []
        for await (const record of parser.parseStream(chunks, { onError: (e) => errors.push(e) })) records.push(record)
        assert.deepEqual(records, vector.records, `chunks of ${size}`)
        assert.equal(errors.length, vector.errors.length, `chunks of ${size}: ${JSON.stringify(errors)}`)
        errors.forEach((got, i) => {
          const want = vector.errors[i]
          assert.deepEqual([got.line, got.offset], [want.line, want.offset], `chunks of ${size}: ${got.message}`)
          assert.ok(got.message.includes(want.contains), `chunks of ${size}: ${got.message}`)
        })
      }
    })
  }
})

function applyOp(registry, handles, op) {
  const labels = op.labels || []
  const value = op.value === undefined ? undefined : vectorFloat(op.value)
  switch (op.op) {
    case 'counter':
      handles[op.name] = registry.counter(op.name, op.help, labels)
      return
    case 'gauge':
      handles[op.name] = registry.gauge(op.name, op.help, labels)
      return
    case 'summary':
      handles[op.name] = registry.summary(op.name, op.help, labels)
      return
    case 'histogram':
      handles[op.name] = registry.histogram(op.name, op.help, labels, (op.buckets || []).map(vectorFloat))
      return
    default: {
      const child = handles[op.metric].labels(...labels)
      if (op.op === 'inc') return value === undefined ? child.inc() : child.inc(value)
      if (op.op === 'dec') return value === undefined ? child.dec() : child.dec(value)
      if (op.op === 'set') return child.set(value)
      if (op.op === 'observe') return child.observe(value)
      throw new Error(`unknown op ${op.op}`)
    }
  }
}

function vectorFloat(value) {
  if (value === '+Inf') return Infinity
  if (value === '-Inf') return -Infinity
  if (value === 'NaN') return NaN
  return value
}

const withoutCreated = (text) => text.split('\n').filter((line) => !line.includes('_created')).join('\n')

test('expfmt vectors: registry.json', async (t) => {
  for (const vector of loadVectors(path.join('expfmt', 'registry.json'))) {
    await t.test(vector.name, () => {
      const registry = new srekit.Registry()
      const handles = {}
      for (const op of vector.ops) {
        if (op.error) assert.throws(() => applyOp(registry, handles, op), (err) => err.message.includes(op.error), op.error)
        else applyOp(registry, handles, op)
      }
      if (vector.text !== undefined) assert.equal(registry.encode('text'), vector.text)
      if (vector.openmetrics !== undefined) assert.equal(withoutCreated(registry.encode('openmetrics')), vector.openmetrics)
      for (const expose of vector.expose || []) {
        const { body, contentType } = registry.expose(expose.accept === null ? undefined : expose.accept)
        assert.equal(contentType, expose.content_type)
        assert.equal(withoutCreated(body), expose.body)
      }
    })
  }
})

test('expfmt vectors: negotiate.json', async (t) => {
  for (const vector of loadVectors(path.join('expfmt', 'negotiate.json'))) {
    await t.test(vector.name, () => {
      const registry = new srekit.Registry()
      registry.counter('requests_total', 'Requests.', ['code']).labels('200').inc()
      const { body, contentType } = registry.expose(vector.accept === null ? undefined : vector.accept)
      assert.equal(contentType, vector.content_type)
      assert.equal(body, registry.encode(vector.format))
      assert.equal(body.includes('requests_total{code="200"} 1'), true)
      assert.equal(srekit.negotiate(vector.accept || ''), vector.format)
    })
  }
})

function normaliseFamilies(families) {
  return families.map((family) => ({
    ...family,
    samples: family.samples.map((sample) => ({ ...sample, value: vectorFloat(sample.value) })),
  }))
}

test('expfmt vectors: parse.json', async (t) => {
  for (const vector of loadVectors(path.join('expfmt', 'parse.json'))) {
    await t.test(vector.name, () => {
      if (vector.error) {
        assert.throws(
          () => srekit.parseText(vector.input),
          (err) => {
            assert.ok(err.message.includes(vector.error.contains), `${err.message} lacks ${vector.error.contains}`)
            if (vector.error.line !== undefined) assert.equal(err.line, vector.error.line)
            if (vector.error.column !== undefined) assert.equal(err.column, vector.error.column)
            return true
          },
        )
        return
      }
      assert.deepEqual(srekit.parseText(vector.input), normaliseFamilies(vector.families))
    })
  }
})

test('rules vectors', async (t) => {
  const files = fs.readdirSync(path.join(VECTORS, 'rules')).filter((f) => f.endsWith('.json')).sort()
  for (const file of files) {
    for (const vector of loadVectors(path.join('rules', file))) {
      await t.test(vector.name, () => {
        const parser = new srekit.Parser(vector.format, vector.time_key ? { timeKey: vector.time_key } : {})
        const registry = new srekit.Registry()
        const rules = new srekit.LogRules(registry, vector.rules, { input: vector.input || 'app' })
        assert.equal(rules.size, vector.rules.length)
        // one call for all lines, as a user with a buffer would
        const result = rules.applyLines(parser, vector.lines.join('\n'))
        assert.deepEqual(result.errors, [])
        assert.equal(result.records, vector.lines.length)
        const text = registry.encode('text')
        assert.equal(text, vector.expect_text)
        if (vector.expect_openmetrics_lines) {
          const om = registry.encode('openmetrics').split('\n')
          for (const line of vector.expect_openmetrics_lines) assert.ok(om.includes(line), `missing OpenMetrics line ${line}`)
        }
      })
    }
  }
})
