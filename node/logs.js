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

function install(Parser) {
  Object.defineProperties(Parser.prototype, {
    parseManyEntries: {
      value: function parseManyEntries(data) {
        const batch = this.parseManyBatch(data)
        return { records: materialize(batch, factoryCache(this)), timestamps: batch.timestamps, errors: batch.errors }
      },
      writable: true,
      configurable: true,
    },
    parseMany: {
      value: function parseMany(data) {
        const entries = this.parseManyEntries(data)
        this.lastErrors = entries.errors
        return entries.records
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

// Reads `source` (any async iterable of Buffers or strings, such as a readable stream) and yields
// records in order. Whole lines are parsed in batches; the partial last line of a chunk waits for the
// next one. A bad line goes to `options.onError({ line, offset, message })` and parsing goes on. A line
// longer than `options.maxLineLength` (1 MiB) is reported and skipped without being buffered whole.
async function* parseStreamImpl(parser, source, options) {
  const onError = typeof options.onError === 'function' ? options.onError : () => {}
  const maxLineLength = options.maxLineLength || DEFAULT_MAX_LINE_LENGTH
  let pending = Buffer.alloc(0)
  let linesBefore = 0
  let skipping = false
  const flush = (buffer) => {
    const entries = parser.parseManyEntries(buffer)
    for (const error of entries.errors) onError({ ...error, line: error.line + linesBefore })
    linesBefore += countNewlines(buffer, buffer.length)
    return entries.records
  }
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
      yield* flush(buffer.subarray(0, last + 1))
    }
    if (pending.length > maxLineLength) {
      onError({ line: linesBefore + 1, offset: maxLineLength, message: `line longer than ${maxLineLength} bytes; skipped` })
      pending = Buffer.alloc(0)
      skipping = true
    }
  }
  if (pending.length > 0 && !skipping) yield* flush(pending)
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

module.exports = { install, oneLineParsers }
