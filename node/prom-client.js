'use strict'
// Bridge into prom-client (https://github.com/siimon/prom-client): expose srekit's host metrics (or
// any source of srekit metric families) from an app whose /metrics endpoint serves a prom-client
// Registry. Two ways:
//
//   1. registerHostMetrics(register, hostOptions): adds one prom-client metric per host family to
//      `register`, so `await register.metrics()` and `register.getMetricsAsJSON()` include them. One
//      scrape runs one collection (off the main thread), shared by all of its families.
//   2. metricsWithHost(register, hostOptions): returns `register.metrics()` followed by the host
//      exposition, in the register's content type, without registering anything.
//
// prom-client is not a dependency of srekit: pass your own Registry (e.g. `require('prom-client').register`).

const srekit = require('./index.js')

const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8'

function isOpenMetrics(register) {
  return register.contentType === OPENMETRICS_CONTENT_TYPE
}

// srekit family type -> prom-client `type` (written after `# TYPE`).
function promType(family, openMetrics) {
  if (family.type === 'unknown') return openMetrics ? 'unknown' : 'untyped'
  return family.type
}

// The name prom-client writes in HELP/TYPE lines: text 0.0.4 names counters with `_total` and info
// metrics with `_info`, as node_exporter does; OpenMetrics uses the base name.
function exposedName(family, openMetrics) {
  if (openMetrics) return family.name
  if (family.type === 'counter') return `${family.name}_total`
  if (family.type === 'info') return `${family.name}_info`
  return family.name
}

function promValues(family, openMetrics) {
  const values = []
  for (const sample of family.samples) {
    if (sample.name.endsWith('_created') && sample.name === `${family.name}_created`) continue
    const value = { value: sample.value, labels: sample.labels }
    // prom-client appends `_total` to counters itself in OpenMetrics mode, and names a value after
    // the metric unless `metricName` is given.
    if (!(family.type === 'counter' && sample.name === `${family.name}_total`)) value.metricName = sample.name
    values.push(value)
  }
  return values
}

/**
 * Registers every family that `collect()` returns into prom-client's `register`, one prom-client
 * metric per family. `collect` returns srekit families (or a Promise of them); it runs once per scrape
 * however many families there are. Families that first appear in a later collection are registered
 * then (and served from the next scrape on). Returns `{ names, unregister() }`.
 */
function registerFamilies(register, collect, initialFamilies) {
  const registered = new Map()
  let inflight = null
  const collectOnce = () => {
    if (inflight === null) {
      inflight = Promise.resolve()
        .then(collect)
        .then((families) => {
          for (const family of families) if (!registered.has(family.name)) add(family)
          return new Map(families.map((family) => [family.name, family]))
        })
        .finally(() => {
          inflight = null
        })
    }
    return inflight
  }
  const add = (family) => {
    const metric = {
      name: exposedName(family, isOpenMetrics(register)),
      help: family.help,
      type: promType(family, false),
      aggregator: 'sum',
      async get() {
        const openMetrics = isOpenMetrics(register)
        const current = (await collectOnce()).get(family.name) || { ...family, samples: [] }
        return {
          name: exposedName(current, openMetrics),
          help: current.help,
          type: promType(current, openMetrics),
          aggregator: 'sum',
          values: promValues(current, openMetrics),
        }
      },
      reset() {},
    }
    register.registerMetric(metric)
    registered.set(family.name, metric)
  }
  for (const family of initialFamilies) add(family)
  return {
    get names() {
      return [...registered.values()].map((metric) => metric.name)
    },
    unregister() {
      for (const metric of registered.values()) register.removeSingleMetric(metric.name)
      registered.clear()
    },
  }
}

/**
 * Adds srekit's host metrics (node_exporter names) to a prom-client Registry. `options` are
 * `collectHost` options. Returns `{ names, unregister() }`.
 */
function registerHostMetrics(register, options) {
  const collector = new srekit.HostCollector(options || {})
  return registerFamilies(register, () => collector.collectAsync(), collector.collect())
}

/**
 * `await register.metrics()` followed by srekit's host metrics, in the register's content type
 * (text 0.0.4, or OpenMetrics with a single `# EOF`). Serve it with `register.contentType`.
 */
async function metricsWithHost(register, options) {
  const openMetrics = isOpenMetrics(register)
  const format = openMetrics ? 'openmetrics' : 'text'
  const [own, host] = await Promise.all([register.metrics(), srekit.collectHostTextAsync(options, format)])
  if (!openMetrics) return own.endsWith('\n') || own === '' ? own + host : `${own}\n${host}`
  return own.replace(/# EOF\n?$/, '') + host
}

module.exports = { registerHostMetrics, registerFamilies, metricsWithHost }
