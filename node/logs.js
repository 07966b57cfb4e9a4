'use strict'
// JavaScript side of log parsing: `parseMany` / `parseManyEntries` over the native columnar batch,
// streaming helpers for readable streams and files, and the one-line `parseLogfmt` / `parseLtsv` /
// `parseJson` / `parseRegex` helpers (each backed by a cached parser).

const fs = require('node:fs')
const { materialize, createFactoryCache } = require('./records.js')

const FACTORIES = Symbol('srekit.factories')
const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024
const NEWLINE = 10

function factoryCache(parser) {
  let cache = parser[FACTORIES]
  if (cache === undefined) {
    cache = createFactoryCache()
    Object.defineProperty(parser, FACTORIES, { value: cache })
  }
  return cache
}

// Every record of `data`, its errors and, when `withTimestamps`, its timestamps (a Float64Array, NaN
// where a record has none). A large input arrives as several batches, parsed on a worker thread while
// this loop builds the objects of the ones before (bindings/node/src/stream.rs).
function parseAll(parser, data, withTimestamps) {
  const cache = factoryCache(parser)
  const stream = parser.parseManyStream(data)
  const records = []
  let errors = []
  const stamped = [] // [first record, Float64Array] of batches with timestamps
  try {
    // Each batch's cells are views of one scratch array, passed back for the next batch once this
    // batch's objects are built (cache.scratch persists across calls on this parser).
    for (let batch = stream.next(cache.scratch); batch !== null; batch = stream.next(cache.scratch)) {
      const first = records.length
      materialize(batch, cache, records)
      cache.scratch = batch.scratch
      if (batch.errors.length > 0) errors = errors.length === 0 ? batch.errors : errors.concat(batch.errors)
      if (withTimestamps && batch.timestamps !== null) stamped.push([first, batch.timestamps])
    }
  } finally {
    stream.close()
  }
  let timestamps = null
  if (withTimestamps) {
    timestamps = new Float64Array(records.length).fill(NaN)
    for (const [first, stamps] of stamped) timestamps.set(stamps, first)
  }
  return { records, timestamps, errors }
}

function install(Parser) {
  Object.defineProperties(Parser.prototype, {
    parseManyEntries: {
      value: function parseManyEntries(data) {
        return parseAll(this, data, true)
      },
      writable: true,
      configurable: true,
    },
    parseMany: {
      value: function parseMany(data) {
        // No timestamps array: parseMany would throw it away.
        const { records, errors } = parseAll(this, data, false)
        this.lastErrors = errors
        return records
      },
      writable: true,
      configurable: true,
    },
    parseStream: {
      value: function parseStream(source, options) {
        return parseStreamImpl(this, source, options || {})
      },
      writable: true,
      configurable: true,
    },
    parseFile: {
      value: function parseFile(path, options) {
        return parseStreamImpl(this, fs.createReadStream(path), options || {})
      },
      writable: true,
      configurable: true,
    },
  })
}

function countNewlines(buffer, end) {
  let count = 0
  let at = buffer.indexOf(NEWLINE, 0)
  while (at !== -1 && at < end) {
    count++
    at = buffer.indexOf(NEWLINE, at + 1)
  }
  return count
}

// Splits `source` (any async iterable of Buffers or strings, such as a readable stream) into buffers
// of whole lines, yielding `{ buffer, firstLine }` (the 1-based number of the buffer's first line). The
// partial last line of a chunk waits for the next one. A line longer than `maxLineLength` (1 MiB) is
// reported through `onError` and skipped without being buffered whole.
async function* wholeLines(source, options) {
  const onError = typeof options.onError === 'function' ? options.onError : () => {}
  const maxLineLength = options.maxLineLength || DEFAULT_MAX_LINE_LENGTH
  let pending = Buffer.alloc(0)
  let linesBefore = 0
  let skipping = false
  for await (const chunk of source) {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    if (skipping) {
      const end = data.indexOf(NEWLINE)
      if (end === -1) continue
      skipping = false
      linesBefore++
      data = data.subarray(end + 1)
    }
    const buffer = pending.length === 0 ? data : Buffer.concat([pending, data])
    const last = buffer.lastIndexOf(NEWLINE)
    if (last === -1) {
      pending = buffer
    } else {
      pending = Buffer.from(buffer.subarray(last + 1))
      const whole = buffer.subarray(0, last + 1)
      yield { buffer: whole, firstLine: linesBefore + 1 }
      linesBefore += countNewlines(whole, whole.length)
    }
    if (pending.length > maxLineLength) {
      onError({ line: linesBefore + 1, offset: maxLineLength, message: `line longer than ${maxLineLength} bytes; skipped` })
      pending = Buffer.alloc(0)
      skipping = true
    }
  }
  if (pending.length > 0 && !skipping) yield { buffer: pending, firstLine: linesBefore + 1 }
}

// Records of `source` in order; a bad line goes to `options.onError({ line, offset, message })`.
async function* parseStreamImpl(parser, source, options) {
  const onError = typeof options.onError === 'function' ? options.onError : () => {}
  for await (const { buffer, firstLine } of wholeLines(source, options)) {
    const entries = parser.parseManyEntries(buffer)
    for (const error of entries.errors) onError({ ...error, line: error.line + firstLine - 1 })
    yield* entries.records
  }
}

// Applies log rules to every line of `source`; resolves to `{ records, errors }` totals.
async function applyStream(rules, parser, source, options) {
  options = options || {}
  const onError = typeof options.onError === 'function' ? options.onError : () => {}
  let records = 0
  let errors = 0
  for await (const { buffer, firstLine } of wholeLines(source, options)) {
    const result = rules.applyLines(parser, buffer)
    records += result.records
    errors += result.errors.length
    for (const error of result.errors) onError({ ...error, line: error.line + firstLine - 1 })
  }
  return { records, errors }
}

function oneLineParsers(Parser) {
  const byFormat = new Map()
  const parserFor = (format) => {
    let parser = byFormat.get(format)
    if (parser === undefined) {
      parser = new Parser(format)
      byFormat.set(format, parser)
    }
    return parser
  }
  const byPattern = new Map()
  return {
    parseLogfmt: (line) => parserFor('logfmt').parse(line),
    parseLtsv: (line) => parserFor('ltsv').parse(line),
    parseJson: (line) => parserFor('json').parse(line),
    parseRegex: (line, pattern) => {
      let parser = byPattern.get(pattern)
      if (parser === undefined) {
        parser = new Parser('regex', { regex: pattern })
        if (byPattern.size >= 64) byPattern.delete(byPattern.keys().next().value)
        byPattern.set(pattern, parser)
      }
      return parser.parse(line)
    },
  }
}

module.exports = { install, oneLineParsers, applyStream }
