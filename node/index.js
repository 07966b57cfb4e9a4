'use strict'
// srekit for Node: the native addon (loaded by the napi-rs generated loader `native.js`) plus small
// JavaScript adapters around it (metrics.js: cached variadic `labels(...)` and buffered updates;
// logs.js / records.js: parseMany's object building and streaming). Logic lives in the Rust
// core; this file only re-exports and adapts. Types: index.d.ts.

const native = require('./platform.js').loadNative()
const logs = require('./logs.js')
const metrics = require('./metrics.js')

const feeds = { LineFeed: native.LineFeed, RecordFeed: native.RecordFeed }
logs.install(native.Parser, feeds)
const { parseLogfmt, parseLtsv, parseJson, parseRegex } = logs.oneLineParsers(native.Parser, native.parseRegex)

metrics.install(native)

// Host collection. A HostCollector keeps its worker threads, so the free functions take theirs from the
// core's bounded cache (one per distinct options, the least recently used dropped when full).
function hostCollector(options) {
  return native.sharedHostCollector(options)
}

function collectHost(options) {
  return hostCollector(options).collect()
}

function collectHostText(options, format) {
  return hostCollector(options).collectText(format)
}

function collectHostAsync(options) {
  try {
    return hostCollector(options).collectAsync()
  } catch (err) {
    return Promise.reject(err)
  }
}

function collectHostTextAsync(options, format) {
  try {
    return hostCollector(options).collectTextAsync(format)
  } catch (err) {
    return Promise.reject(err)
  }
}

/**
 * Log -> metrics rules bound to a Registry, with the exporter's `[[metrics]]` config keys. Lines are
 * parsed and applied in Rust (`applyLines`), so no record object is built in JavaScript.
 */
class LogRules {
  constructor(registry, rules, options) {
    if (!Array.isArray(rules)) throw new TypeError('rules must be an array of rule tables')
    const input = options && options.input !== undefined ? String(options.input) : undefined
    Object.defineProperty(this, 'native', { value: new native.LogRules(registry, JSON.stringify(rules), input) })
  }

  /** Number of rules. */
  get size() {
    return this.native.size
  }

  /** Parses each line of `data` with `parser` and applies the rules: `{ records, errors }`. */
  applyLines(parser, data) {
    return this.native.applyLines(parser, data)
  }

  /** Applies the rules to every line of a readable stream (or async iterable); resolves to totals. */
  applyStream(parser, source, options) {
    return logs.applyStream(feeds, this, parser, source, options)
  }

  /** Applies the rules to every line of a file, read in chunks; resolves to totals. */
  applyFile(parser, path, options) {
    return logs.applyStream(feeds, this, parser, require('node:fs').createReadStream(path), options)
  }
}

/**
 * The exporter's log pipeline in-process: `config` has the exporter's keys (`inputs`, `metrics`,
 * `state`, snake_case as in its TOML); its metrics go to `registry`. `start()` / `stop()` run it on a
 * background thread; `poll()` drives it by hand.
 */
class Pipeline {
  constructor(registry, config) {
    if (config === null || typeof config !== 'object') throw new TypeError('config must be an object')
    Object.defineProperty(this, 'native', { value: new native.Pipeline(registry, JSON.stringify(config)) })
  }

  /** Reads what is new once: `{ lines, bytes, parseErrors }`. */
  poll() {
    return this.native.poll()
  }

  /** Runs the pipeline on a background thread. */
  start() {
    this.native.start()
    return this
  }

  /** Stops it: a last read, then the checkpoints are written. */
  stop() {
    this.native.stop()
  }

  /** Read and checkpoint errors of the background thread (the latest 100). */
  errors() {
    return this.native.errors()
  }
}

module.exports = {
  // log -> metrics rules
  LogRules,
  Pipeline,
  // logs
  Parser: native.Parser,
  parseLogfmt,
  parseLtsv,
  parseJson,
  parseRegex,
  // host
  HostCollector: native.HostCollector,
  collectHost,
  collectHostText,
  collectHostAsync,
  collectHostTextAsync,
  allHostCollectors: native.allHostCollectors,
  defaultHostCollectors: native.defaultHostCollectors,
  hostOptions: native.hostOptions,
  // metrics
  Registry: native.Registry,
  CounterVec: native.CounterVec,
  Counter: native.Counter,
  GaugeVec: native.GaugeVec,
  Gauge: native.Gauge,
  HistogramVec: native.HistogramVec,
  Histogram: native.Histogram,
  SummaryVec: native.SummaryVec,
  Summary: native.Summary,
  // exposition text
  parseText: native.parseText,
  contentType: native.contentType,
  negotiate: native.negotiate,
  // names
  isValidMetricName: native.isValidMetricName,
  isValidLabelName: native.isValidLabelName,
  sanitizeMetricName: native.sanitizeMetricName,
  sanitizeLabelName: native.sanitizeLabelName,
}
