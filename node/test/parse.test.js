'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Readable } = require('node:stream')
const srekit = require('..')

// Every record of parseMany must equal parse() of its line: the batch path is only a faster road.
function assertManyMatchesOneByOne(parser, lines) {
  const expected = []
  for (const line of lines) {
    try {
      expected.push(parser.parse(line))
    } catch {
      // bad lines are skipped by parseMany
    }
  }
  assert.deepEqual(parser.parseMany(lines.join('\n')), expected)
  assert.deepEqual(parser.parseMany(Buffer.from(lines.join('\r\n') + '\r\n')), expected)
}

test('parseMany of nothing, blank lines and only bad lines', () => {
  const parser = new srekit.Parser('logfmt')
  assert.deepEqual(parser.parseMany(''), [])
  assert.deepEqual(parser.lastErrors, [])
  assert.deepEqual(parser.parseMany('\n\n\r\n'), [])
  assert.deepEqual(parser.parseMany('a="x\nb="y\n'), [])
  assert.deepEqual(parser.lastErrors.map((e) => [e.line, e.offset]), [[1, 2], [2, 2]])
})

test('line numbers of errors count blank lines', () => {
  const parser = new srekit.Parser('json')
  const { records, errors } = parser.parseManyEntries('{"a":1}\n\nnot json\n{"b":2}\n[1]\n')
  assert.deepEqual(records, [{ a: 1 }, { b: 2 }])
  assert.deepEqual(errors.map((e) => e.line), [3, 5])
  assert.ok(errors.every((e) => typeof e.offset === 'number' && e.message.startsWith(`byte ${e.offset}: `)))
})

test('non-ASCII values and keys, astral characters included, come out whole', () => {
  const parser = new srekit.Parser('logfmt')
  const lines = []
  for (let i = 0; i < 30; i++) lines.push(`msg="héllo 😀 ${i}" ключ=значение emoji=😀😀 plain=${i}`)
  assertManyMatchesOneByOne(parser, lines)
  assert.deepEqual(parser.parseMany(lines[3])[0], { msg: 'héllo 😀 3', ключ: 'значение', emoji: '😀😀', plain: '3' })
})

test('a string whose UTF-8 is just longer or shorter than its first copy buffer comes out whole', () => {
  // A string is copied once into a buffer sized from its UTF-16 length, and again when its UTF-8
  // (2 bytes per é, 4 per emoji) did not fit: every length around that edge must give the whole text.
  const parser = new srekit.Parser('logfmt')
  for (let twoByte = 100; twoByte < 180; twoByte++) {
    for (const tail of ['', '😀', 'é😀']) {
      const value = 'a'.repeat(900) + 'é'.repeat(twoByte) + tail
      const line = `n=${twoByte} msg="${value}"`
      const records = parser.parseMany(line)
      assert.equal(records.length, 1)
      assert.equal(records[0].msg, value, `${twoByte} two-byte characters, tail ${tail}`)
      assert.deepEqual(records, parser.parseMany(Buffer.from(line)))
    }
  }
})

test('duplicate keys keep the first position and the last value in both paths', () => {
  const parser = new srekit.Parser('logfmt')
  const lines = Array.from({ length: 20 }, (_, i) => `a=1 b=2 a=${i} c=3`)
  assertManyMatchesOneByOne(parser, lines)
  const [first] = parser.parseMany(lines[5])
  assert.deepEqual(Object.entries(first), [['a', '5'], ['b', '2'], ['c', '3']])
})

test('__proto__ is an own property, never the prototype', () => {
  const parser = new srekit.Parser('logfmt')
  const lines = Array.from({ length: 12 }, (_, i) => `__proto__=x${i} toString=y constructor=z`)
  for (const record of parser.parseMany(lines.join('\n'))) {
    assert.equal(Object.getPrototypeOf(record), Object.prototype)
    assert.ok(Object.prototype.hasOwnProperty.call(record, '__proto__'))
  }
  assert.equal(parser.parse(lines[0])['__proto__'], 'x0')
  assert.equal(Object.getPrototypeOf(parser.parse(lines[0])), Object.prototype)
})

test('many distinct shapes (beyond the compiled-factory cache) still parse right', () => {
  const parser = new srekit.Parser('logfmt')
  const lines = []
  for (let i = 0; i < 400; i++) for (let r = 0; r < 9; r++) lines.push(`k${i}=v${r} common=${i}`)
  assertManyMatchesOneByOne(parser, lines)
})

test('JSON values keep their types in the batch path', () => {
  const parser = new srekit.Parser('json')
  const lines = []
  for (let i = 0; i < 20; i++) {
    lines.push(JSON.stringify({ s: `x${i}`, n: i, f: i + 0.5, t: i % 2 === 0, z: null, a: [1, 'b', { c: i }], o: { p: { q: i } } }))
    lines.push(`{"big": 18446744073709551615, "neg": -9223372036854775808, "safe": 9007199254740991}`)
  }
  assertManyMatchesOneByOne(parser, lines)
  const [first, second] = parser.parseMany(lines.slice(0, 2).join('\n'))
  assert.deepEqual(first, { s: 'x0', n: 0, f: 0.5, t: true, z: null, a: [1, 'b', { c: 0 }], o: { p: { q: 0 } } })
  assert.equal(second.big, 18446744073709551615n)
  assert.equal(second.neg, -9223372036854775808n)
  assert.equal(second.safe, 9007199254740991)
})

// Every record, error (line and offset) and timestamp of parseManyEntries, computed one line at a time.
function expectedEntries(parser, lines) {
  const records = []
  const timestamps = []
  const errors = []
  lines.forEach((line, index) => {
    if (line.trim() === '') return
    try {
      const { record, timestamp } = parser.parseEntry(line)
      records.push(record)
      timestamps.push(timestamp === null ? NaN : timestamp)
    } catch (err) {
      errors.push([index + 1, err.offset])
    }
  })
  return { records, timestamps, errors }
}

test('a large input is parsed in pieces, on a worker thread, giving what one line at a time gives', () => {
  const parser = new srekit.Parser('logfmt', { timeKey: 'ts', timeFormat: '%Y-%m-%dT%H:%M:%S%z' })
  const lines = []
  for (let i = 0; i < 60000; i++) {
    // Timestamps only in the second half, so early pieces have none and later ones do.
    const ts = i >= 30000 && i % 3 !== 0 ? `ts=2026-11-25T12:${String(i % 60).padStart(2, '0')}:00+0000 ` : ''
    if (i % 7919 === 0) lines.push(`bad="unterminated ${i}`)
    else if (i % 5003 === 0) lines.push('')
    else if (i % 3 === 0) lines.push(`${ts}level=warn msg="ünïcode ${i} 🚀" n=${i}`)
    else lines.push(`${ts}level=info path=/api/v1/orders/${i} status=200 ms=${i % 250}.5`)
  }
  const text = lines.join('\n') // no newline after the last line
  assert.ok(text.length > 2 * 1024 * 1024, 'large enough for several pieces')
  const expected = expectedEntries(parser, lines)
  assert.ok(expected.errors.length >= 8)
  for (const input of [text, Buffer.from(text)]) {
    const entries = parser.parseManyEntries(input)
    assert.equal(entries.records.length, expected.records.length)
    assert.deepEqual(entries.records, expected.records)
    assert.deepEqual(Array.from(entries.timestamps), expected.timestamps)
    assert.deepEqual(entries.errors.map((e) => [e.line, e.offset]), expected.errors)
    assert.deepEqual(parser.parseMany(input), expected.records)
    assert.deepEqual(parser.lastErrors.map((e) => [e.line, e.offset]), expected.errors)
  }
  if (os.availableParallelism() > 1) {
    const stream = parser.parseManyStream(Buffer.from(text))
    let batches = 0
    while (stream.next() !== null) batches++
    stream.close()
    assert.ok(batches > 2, `${batches} batches`)
  }
})

test('nested JSON values and BigInts come out right from every piece of a large input', () => {
  const parser = new srekit.Parser('json')
  const lines = []
  for (let i = 0; i < 12000; i++) {
    lines.push(JSON.stringify({ i, s: `x${i}`, a: [i, 'b', { c: i }], o: { p: { q: `${i}` } }, pad: 'y'.repeat(100) }))
    if (i % 1000 === 999) lines.push('{"big": 18446744073709551615}')
  }
  const expected = expectedEntries(parser, lines)
  assert.deepEqual(parser.parseMany(Buffer.from(lines.join('\n'))), expected.records)
  assert.equal(expected.records.filter((r) => r.big === 18446744073709551615n).length, 12)
})

test('a batch stream closed early stops its worker and returns no more batches', () => {
  const parser = new srekit.Parser('logfmt')
  const data = Buffer.from('a=1 b="some text"\n'.repeat(200000))
  for (let round = 0; round < 20; round++) {
    const stream = parser.parseManyStream(data)
    if (round % 2 === 0) assert.notEqual(stream.next(), null)
    stream.close()
    assert.equal(stream.next(), null)
    stream.close()
  }
  assert.equal(parser.parseMany(data).length, 200000)
})

test('a batch reuses the scratch array passed back, and ignores anything else given as scratch', () => {
  const parser = new srekit.Parser('logfmt')
  const data = Buffer.from('a=1 b="some text" c=3\n'.repeat(100000))
  for (const junk of [undefined, null, 'scratch', new Float64Array(1 << 16), new Uint32Array(4), new Uint32Array(1 << 20).subarray(1)]) {
    const stream = parser.parseManyStream(data)
    try {
      let scratch = junk
      let records = 0
      let reused = 0
      for (let batch = stream.next(scratch); batch !== null; batch = stream.next(scratch)) {
        assert.ok(batch.scratch instanceof Uint32Array)
        assert.equal(batch.cells.buffer, batch.scratch.buffer)
        assert.equal(batch.cells.length, batch.recordShapes.length * 3)
        if (batch.scratch === scratch) reused++
        records += batch.recordShapes.length
        scratch = batch.scratch
      }
      assert.equal(records, 100000)
      // One core: the whole input is one batch, with nothing to reuse.
      if (os.availableParallelism() > 1) assert.ok(reused >= 1, `the scratch array was reused (${reused} times)`)
    } finally {
      stream.close()
    }
  }
})

test('types and time keys apply to parseMany, with timestamps per record', () => {
  const parser = new srekit.Parser('logfmt', { types: { status: 'int', took: 'float', ok: 'bool' }, timeKey: 'ts', timeFormat: '%Y-%m-%dT%H:%M:%S%z' })
  const { records, timestamps } = parser.parseManyEntries(
    'ts=2026-11-25T12:00:00+0000 status=200 took=0.25 ok=true\nstatus=500 took=1.5 ok=false\n',
  )
  assert.deepEqual(records[0], { ts: '2026-11-25T12:00:00+0000', status: 200, took: 0.25, ok: true })
  assert.deepEqual(records[1], { status: 500, took: 1.5, ok: false })
  assert.equal(timestamps[0], Date.UTC(2026, 10, 25, 12) / 1000)
  assert.ok(Number.isNaN(timestamps[1]))
  assert.equal(parser.parseEntry('ts=2026-11-25T12:00:00+0000 status=1').timestamp, Date.UTC(2026, 10, 25, 12) / 1000)
})

test('presets and regexes', () => {
  const nginx = new srekit.Parser('nginx')
  const line = '192.168.1.10 - alice [25/Nov/2026:12:00:00 +0000] "GET /api/v1/orders HTTP/1.1" 200 512 "-" "curl/8.5.0"'
  const entry = nginx.parseEntry(line)
  assert.equal(entry.record.code, '200')
  assert.equal(entry.record.path, '/api/v1/orders')
  assert.equal(entry.timestamp, Date.UTC(2026, 10, 25, 12) / 1000)
  assert.deepEqual(srekit.parseRegex('took 15ms', '^took (?<ms>\\d+)ms$'), { ms: '15' })
  assert.throws(() => new srekit.Parser('regex', { regex: '(' }), /invalid regex/)
  assert.throws(() => new srekit.Parser('regex'), /format "regex" needs `regex`/)
  // a regex with another format was ignored before; the core refuses it, as in Python and the exporter
  assert.throws(() => new srekit.Parser('json', { regex: '^(?<a>.)$' }), /`regex` is only used with format "regex" \(the format is "json"\)/)
  // preset names are accepted wherever a regex is
  assert.deepEqual(new srekit.Parser('regex', { regex: 'nginx' }).parse(line), nginx.parse(line))
  assert.deepEqual(srekit.parseRegex(line, 'nginx'), nginx.parse(line))
  assert.throws(() => srekit.parseRegex('x', 'no groups'), /regex has no named capture group/)
  assert.equal(new srekit.Parser('logfmt', { maxLineLength: 99 }).maxLineLength, 99)
  assert.throws(() => new srekit.Parser('xml'), /unknown log format "xml"/)
  assert.throws(() => new srekit.Parser('logfmt', { types: { a: 'decimal' } }), /unknown field type "decimal"/)
  assert.equal(nginx.format, 'nginx')
})

test('one-line helpers throw errors with the byte offset', () => {
  assert.deepEqual(srekit.parseLtsv('host:10.0.0.1\tstatus:200'), { host: '10.0.0.1', status: '200' })
  assert.deepEqual(srekit.parseLogfmt(Buffer.from('a=1 b="two words"')), { a: '1', b: 'two words' })
  assert.throws(
    () => srekit.parseJson('{"a": tru}'),
    (err) => err.code === 'ERR_SREKIT_LOG_LINE' && Number.isInteger(err.offset) && err.message.startsWith(`byte ${err.offset}: `),
  )
})

test('parseStream and parseFile yield every record across chunk boundaries', async () => {
  const parser = new srekit.Parser('logfmt')
  const lines = Array.from({ length: 5000 }, (_, i) => (i % 1000 === 999 ? 'bad="unterminated' : `i=${i} msg="line ${i}"`))
  const text = lines.join('\n') + '\n'
  const expected = parser.parseMany(text)
  // odd chunk sizes split lines (and multi-byte characters) anywhere
  const chunks = []
  for (let at = 0; at < text.length; at += 777) chunks.push(Buffer.from(text.slice(at, at + 777)))
  const errors = []
  const streamed = []
  for await (const record of parser.parseStream(Readable.from(chunks), { onError: (e) => errors.push(e) })) streamed.push(record)
  assert.deepEqual(streamed, expected)
  assert.deepEqual(errors.map((e) => e.line), [1000, 2000, 3000, 4000, 5000])

  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'srekit-log-')), 'app.log')
  fs.writeFileSync(file, text + 'i=last') // no final newline
  const fromFile = []
  for await (const record of parser.parseFile(file)) fromFile.push(record)
  assert.deepEqual(fromFile, [...expected, { i: 'last' }])
})

test('parseStream skips an over-long line without buffering it', async () => {
  const parser = new srekit.Parser('logfmt')
  const long = 'x='.padEnd(5000, 'y')
  const chunks = ['a=1\n', long.slice(0, 2000), long.slice(2000), '\nb=2\n'].map((s) => Buffer.from(s))
  const errors = []
  const records = []
  for await (const record of parser.parseStream(Readable.from(chunks), { maxLineLength: 1000, onError: (e) => errors.push(e) })) records.push(record)
  assert.deepEqual(records, [{ a: '1' }, { b: '2' }])
  assert.equal(errors.length, 1)
  assert.equal(errors[0].line, 2)
  assert.equal(errors[0].offset, 1000)
  assert.equal(errors[0].message, 'byte 1000: line too long (5000 bytes, maximum 1000); skipped')
})

test('works in worker threads, and a worker exits cleanly after parsing and collecting', async () => {
  const { Worker } = require('node:worker_threads')
  const code = `
    const { parentPort } = require('node:worker_threads')
    const srekit = require(${JSON.stringify(path.join(__dirname, '..'))})
    const parser = new srekit.Parser('logfmt')
    let n = 0
    for (let i = 0; i < 20; i++) n += parser.parseMany('a=1 b=2\\n'.repeat(5000)).length
    const registry = new srekit.Registry()
    registry.counter('w_total', 'W.').inc(n)
    srekit.collectHostAsync({ disableDefaults: true, enable: ['loadavg'] }).then((families) => {
      parentPort.postMessage({ n, text: registry.encode(), families: families.length })
    })
  `
  const worker = new Worker(code, { eval: true })
  const message = await new Promise((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
  })
  assert.equal(message.n, 100000)
  assert.match(message.text, /^w_total 100000$/m)
  assert.ok(message.families >= 3)
  const exitCode = await new Promise((resolve) => worker.once('exit', resolve))
  assert.equal(exitCode, 0)
})

test('a worker terminated in the middle of a large parseMany exits cleanly', async () => {
  const { Worker } = require('node:worker_threads')
  const code = `
    const { parentPort } = require('node:worker_threads')
    const srekit = require(${JSON.stringify(path.join(__dirname, '..'))})
    const parser = new srekit.Parser('logfmt')
    const data = Buffer.from('ts=2026-11-25T12:00:00Z level=info msg="request done" path=/api/v1/x/1 n=1\\n'.repeat(100000))
    parentPort.postMessage('ready')
    for (;;) parser.parseMany(data)
  `
  for (let round = 0; round < 4; round++) {
    const worker = new Worker(code, { eval: true })
    await new Promise((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    await new Promise((resolve) => setTimeout(resolve, 20 + round * 15))
    const exitCode = await worker.terminate()
    assert.equal(exitCode, 1)
  }
  // The process is still sound: a large parse here still gives every record.
  const parser = new srekit.Parser('logfmt')
  assert.equal(parser.parseMany(Buffer.from('a=1 b=2\n'.repeat(100000))).length, 100000)
})

test('random bytes never crash the process: a record or an Error with an offset', () => {
  let seed = 12345
  const random = () => {
    seed = (seed * 1103515245 + 12345) >>> 0
    return seed / 2 ** 32
  }
  const alphabet = Buffer.from('a=b:c\t"\\ {}[],\n\r0123456789.-eE+ntrufl\u00ff\u0080')
  const formats = ['logfmt', 'ltsv', 'json', 'nginx', 'apache-common', 'syslog-rfc3164', 'syslog-rfc5424']
  const parsers = formats.map((f) => new srekit.Parser(f, { lossyUtf8: f === 'ltsv', types: { a: 'int', c: 'float' } }))
  for (let i = 0; i < 1500; i++) {
    const length = Math.floor(random() * 80)
    const bytes = Buffer.alloc(length)
    for (let j = 0; j < length; j++) bytes[j] = random() < 0.8 ? alphabet[Math.floor(random() * alphabet.length)] : Math.floor(random() * 256)
    for (const parser of parsers) {
      try {
        const record = parser.parse(bytes)
        assert.equal(typeof record, 'object')
      } catch (err) {
        assert.ok(Number.isInteger(err.offset) && err.offset >= 0, `${parser.format}: ${err.message}`)
      }
      const many = parser.parseManyEntries(bytes)
      assert.equal(many.records.length, many.timestamps.length)
    }
  }
})

test('a synchronous loop of parseMany calls does not hold memory until the event loop turns', () => {
  const parser = new srekit.Parser('logfmt')
  const line = 'ts=2026-11-25T12:00:00.000Z level=info msg="request done" path=/api/v1/orders/1234 status=200 ms=12.5\n'
  const data = Buffer.from(line.repeat(20000))
  parser.parseMany(data)
  const before = process.memoryUsage().rss
  for (let i = 0; i < 150; i++) parser.parseMany(data)
  const grown = (process.memoryUsage().rss - before) / 1e6
  // each call's columns take ~3 MB outside the JS heap; holding them all would grow RSS by ~450 MB
  assert.ok(grown < 200, `RSS grew by ${grown.toFixed(0)} MB`)
})
