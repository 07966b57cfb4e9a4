'use strict'
// srekit for Node: the native addon (loaded by the napi-rs generated loader `native.js`) plus small
// JavaScript adapters around it (metrics.js: cached variadic `labels(...)` and buffered updates;
// logs.js / records.js: parseMany's object building and streaming). Logic lives in the Rust
// core; this file only re-exports and adapts. Types: index.d.ts.

const native = require('./native.js')
const logs = require('./logs.js')
const metrics = require('./metrics.js')

logs.install(native.Parser)
const { parseLogfmt, parseLtsv, parseJson, parseRegex } = logs.oneLineParsers(native.Parser)

metrics.install(native)

// Host collection. A HostCollector keeps one worker thread per collector, so the free functions reuse
// one collector per distinct options object (compared by value).
const hostCollectors = new Map()
function hostCollector(options) {
  const key = JSON.stringify(options || {})
  let collector = hostCollectors.get(key)
  if (collector === undefined) {
    collector = new native.HostCollector(options || {})
    hostCollectors.set(key, collector)
  }
  return collector
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

module.exports = {
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
