'use strict'
// srekit for Node: the native addon (loaded by the napi-rs generated loader `native.js`) plus small
// JavaScript adapters around it (variadic `labels(...)` with a child cache). Logic lives in the Rust
// core; this file only re-exports and adapts. Types: index.d.ts.

const native = require('./native.js')
const logs = require('./logs.js')

logs.install(native.Parser)
const { parseLogfmt, parseLtsv, parseJson, parseRegex } = logs.oneLineParsers(native.Parser)

const CHILDREN = Symbol('srekit.children')
const LEAF = Symbol('srekit.leaf')

// `labels(...values)` / `labels({ name: value })` for every metric vector. Children are cached in
// nested Maps (one level per label value), so `vec.labels('GET', '200').inc()` on a hot path costs two
// Map lookups and one native call, and returns the same child object every time.
function labels(...values) {
  if (values.length === 1 && values[0] !== null && typeof values[0] === 'object') {
    if (Array.isArray(values[0])) return labels.apply(this, values[0])
    if (typeof this.labelsByName !== 'function') {
      throw new TypeError('this metric takes label values in label-name order, not an object')
    }
    return this.labelsByName(stringValues(values[0]))
  }
  let node = this[CHILDREN]
  if (node === undefined) {
    node = new Map()
    Object.defineProperty(this, CHILDREN, { value: node })
  }
  for (let i = 0; i < values.length; i++) {
    const key = String(values[i])
    let next = node.get(key)
    if (next === undefined) {
      next = new Map()
      node.set(key, next)
    }
    node = next
  }
  let child = node.get(LEAF)
  if (child === undefined) {
    child = this.labelValues(values.map(String))
    node.set(LEAF, child)
  }
  return child
}

function stringValues(object) {
  const out = {}
  for (const key of Object.keys(object)) out[key] = String(object[key])
  return out
}

for (const Vec of [native.CounterVec, native.GaugeVec, native.HistogramVec, native.SummaryVec]) {
  Object.defineProperty(Vec.prototype, 'labels', { value: labels, writable: true, configurable: true })
}

// A metric without label names can be used directly: `registry.counter('x_total', 'X.').inc()`.
function forward(Vec, methods) {
  for (const method of methods) {
    Object.defineProperty(Vec.prototype, method, {
      value: function (...args) {
        return this.labels()[method](...args)
      },
      writable: true,
      configurable: true,
    })
  }
}
forward(native.CounterVec, ['inc', 'get'])
forward(native.GaugeVec, ['set', 'inc', 'dec', 'get'])
forward(native.HistogramVec, ['observe', 'count', 'sum'])
forward(native.SummaryVec, ['observe', 'count', 'sum'])

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
