'use strict'
// JavaScript side of log parsing: `parseMany` / `parseManyEntries` over the native columnar batch,
// `parseColumns` (Arrow IPC bytes, errors in `lastErrors`),
// streaming helpers for readable streams and files (cut into lines by the core's feed), and the
// one-line `parseLogfmt` / `parseLtsv` / `parseJson` / `parseRegex` helpers.

const fs = require('node:fs')
const { materialize, createFactoryCache } = require('./records.js')

const FACTORIES = Symbol('srekit.factories')

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
  let records = []
  let errors = []
  const stamped = [] // [first record, Float64Array] of batches with timestamps
  try {
    // Each batch's cells are views of one scratch array, passed back for the next batch once this
    // batch's objects are built (cache.scratch persists across calls on this parser).
    for (let batch = stream.next(cache.scratch); batch !== null; batch = stream.next(cache.scratch)) {
      const first = records.length
      records = materialize(batch, cache, records)
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

// `feeds`: the native `LineFeed` (cuts a stream into whole lines) and `RecordFeed` (parses a framed
// parser's stream as it goes, keeping the lines being joined between chunks).
function install(Parser, feeds) {
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
    parseColumns: {
      // Arrow IPC stream bytes of every parsed line (core: srekit::logs::columnar); the lines that
      // did not parse go to lastErrors, as with parseMany.
      value: function parseColumns(data, options) {
        const { ipc, errors } = this.parseColumnsIpc(data, options)
        this.lastErrors = errors
        return ipc
      },
      writable: true,
      configurable: true,
    },
    parseStream: {
      value: function parseStream(source, options) {
        return parseStreamImpl(feeds, this, source, options || {})
      },
      writable: true,
      configurable: true,
    },
    parseFile: {
      value: function parseFile(path, options) {
        return parseStreamImpl(feeds, this, fs.createReadStream(path), options || {})
      },
      writable: true,
      configurable: true,
    },
  })
}

// Splits `source` (any async iterable of Buffers or strings, such as a readable stream) into buffers
// of whole lines with the core's chunked feed (native `LineFeed`), yielding `{ buffer, firstLine }`
// (the 1-based number of the buffer's first line). The partial last line of a chunk waits for the
// next one; a line longer than the maximum (`options.maxLineLength`, else the parser's) is reported
// through `onError` with the core's message and skipped without being buffered whole.
async function* wholeLines(LineFeed, parser, source, options) {
  const onError = typeof options.onError === 'function' ? options.onError : () => {}
  const feed = new LineFeed(options.maxLineLength || parser.maxLineLength)
  for await (const chunk of source) {
    const data = asBuffer(chunk)
    yield* feedPieces(feed.push(data), data, onError)
  }
  yield* feedPieces(feed.finish(), null, onError)
}

function asBuffer(chunk) {
  return typeof chunk === 'string' ? Buffer.from(chunk) : chunk
}

// A framed parser's (container envelope, multi-line events) results of `source`, chunk by chunk: the
// native `RecordFeed` parses each chunk as it comes and keeps partial pieces and the open event for the
// next, so memory stays bounded by a chunk and the message being joined. Yields `step(chunk)` for each
// chunk, then `step(null)` (the end of the stream).
async function* framedChunks(source, step) {
  for await (const chunk of source) yield step(asBuffer(chunk))
  yield step(null)
}

// The records of one `RecordFeed` batch (errors, their lines counted from the stream's start, to
// `onError`); the batch's scratch memory goes back to the parser's cache for the next batch.
function batchRecords(batch, cache, onError) {
  const records = materialize(batch, cache, [])
  cache.scratch = batch.scratch
  for (const error of batch.errors) onError({ ...error })
  return records
}

function* feedPieces(pieces, data, onError) {
  for (const piece of pieces) {
    if (typeof piece.message === 'string') onError({ line: piece.line, offset: piece.offset, message: piece.message })
    else yield { buffer: piece.buffer || data.subarray(piece.start, piece.end), firstLine: piece.line }
  }
}

// Records of `source` in order; a bad line goes to `options.onError({ line, offset, message })`.
async function* parseStreamImpl(feeds, parser, source, options) {
  const onError = typeof options.onError === 'function' ? options.onError : () => {}
  if (parser.framed) {
    const feed = new feeds.RecordFeed(parser)
    const cache = factoryCache(parser)
    const step = (chunk) => (chunk === null ? feed.finish(cache.scratch) : feed.push(chunk, cache.scratch))
    for await (const batch of framedChunks(source, step)) yield* batchRecords(batch, cache, onError)
    return
  }
  for await (const { buffer, firstLine } of wholeLines(feeds.LineFeed, parser, source, options)) {
    const entries = parser.parseManyEntries(buffer)
    for (const error of entries.errors) onError({ ...error, line: error.line + firstLine - 1 })
    yield* entries.records
  }
}

// Applies log rules to every line of `source`; resolves to `{ records, errors }` totals.
async function applyStream(feeds, rules, parser, source, options) {
  options = options || {}
  const onError = typeof options.onError === 'function' ? options.onError : () => {}
  let records = 0
  let errors = 0
  if (parser.framed) {
    const feed = new feeds.RecordFeed(parser)
    for await (const result of framedChunks(source, (chunk) => rules.native.applyFeed(feed, chunk))) {
      records += result.records
      errors += result.errors.length
      for (const error of result.errors) onError({ ...error })
    }
    return { records, errors }
  }
  for await (const { buffer, firstLine } of wholeLines(feeds.LineFeed, parser, source, options)) {
    const result = rules.applyLines(parser, buffer)
    records += result.records
    errors += result.errors.length
    for (const error of result.errors) onError({ ...error, line: error.line + firstLine - 1 })
  }
  return { records, errors }
}

// One-line helpers: a parser per built-in format, kept here; `parseRegex` is native, over the core's
// shared parser cache (patterns and preset names alike).
function oneLineParsers(Parser, parseRegex) {
  const byFormat = new Map()
  const parserFor = (format) => {
    let parser = byFormat.get(format)
    if (parser === undefined) {
      parser = new Parser(format)
      byFormat.set(format, parser)
    }
    return parser
  }
  return {
    parseLogfmt: (line) => parserFor('logfmt').parse(line),
    parseLtsv: (line) => parserFor('ltsv').parse(line),
    parseJson: (line) => parserFor('json').parse(line),
    parseRegex,
  }
}

module.exports = { install, oneLineParsers, applyStream }
