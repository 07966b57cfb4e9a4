'use strict'
// JavaScript side of the instrumentation registry:
//   - `labels(...values)` / `labels({ name: value })` on every metric vector, with the children cached
//     in nested Maps (one level per label value), so a hot `vec.labels('GET', '200').inc()` costs a few
//     Map lookups and returns the same child object every time; `remove(...)` and `clear()` drop
//     series in the core and empty that cache;
//   - updates buffered in JavaScript: a native call costs far more than an addition, so `inc`, `dec`,
//     `set` and `observe` record the change on the child and the registry applies all pending changes
//     to the core (one native call per changed child) before `encode()`, `gather()`, `get()`, `count()`
//     or `sum()`. Invalid updates (a negative counter increment, a non-number) still throw at once,
//     with the core's message. Fractional counter increments are summed in JavaScript before they are
//     added to the core's value, so a total can differ from a one-by-one sum in its last bit. An update
//     with an exemplar (`inc(1, { trace_id })`, `observe(v, { trace_id })`) goes to the core at once.

const CHILDREN = Symbol('srekit.children')
const LEAF = Symbol('srekit.leaf')
const PENDING_LIST = Symbol('srekit.pendingList')
const DIRTY = Symbol('srekit.dirty')
const ADD = Symbol('srekit.add')
const SET = Symbol('srekit.set')
const OBSERVED = Symbol('srekit.observed')
const APPLY = Symbol('srekit.apply')

// Observations kept per histogram / summary child before they are applied anyway.
const MAX_PENDING_OBSERVATIONS = 1024

function define(prototype, name, value) {
  Object.defineProperty(prototype, name, { value, writable: true, configurable: true })
}

function applyPending(list) {
  for (let i = 0; i < list.length; i++) list[i][APPLY]()
  list.length = 0
}

function markDirty(child) {
  if (!child[DIRTY]) {
    child[DIRTY] = true
    child[PENDING_LIST].push(child)
  }
}

function stringValues(object) {
  const out = {}
  for (const key of Object.keys(object)) out[key] = String(object[key])
  return out
}

function install(native) {
  const { Registry, CounterVec, Counter, GaugeVec, Gauge, HistogramVec, Histogram, SummaryVec, Summary } = native

  // Registry: one list of children with pending updates, applied before reading.
  const registryList = new WeakMap()
  const listOf = (registry) => {
    let list = registryList.get(registry)
    if (list === undefined) {
      list = []
      registryList.set(registry, list)
    }
    return list
  }
  for (const method of ['counter', 'gauge', 'histogram', 'summary']) {
    const create = Registry.prototype[method]
    define(Registry.prototype, method, function (...args) {
      const vec = create.apply(this, args)
      Object.defineProperty(vec, PENDING_LIST, { value: listOf(this) })
      return vec
    })
  }
  for (const method of ['encode', 'encodePush', 'expose', 'gather']) {
    const read = Registry.prototype[method]
    define(Registry.prototype, method, function (...args) {
      applyPending(listOf(this))
      return read.apply(this, args)
    })
  }

  // Children: created through these wrappers only, so each one knows its registry's pending list.
  const initChild = (vec, child, init) => {
    if (child[PENDING_LIST] === undefined) {
      child[PENDING_LIST] = vec[PENDING_LIST] || []
      child[DIRTY] = false
      init(child)
    }
    return child
  }
  const vecs = [
    [CounterVec, (c) => { c[ADD] = 0 }],
    [GaugeVec, (g) => { g[ADD] = 0; g[SET] = undefined }],
    [HistogramVec, (h) => { h[OBSERVED] = [] }],
    [SummaryVec, (s) => { s[OBSERVED] = [] }],
  ]
  for (const [Vec, init] of vecs) {
    const byValues = Vec.prototype.labelValues
    define(Vec.prototype, 'labelValues', function labelValues(values) {
      return initChild(this, byValues.call(this, values), init)
    })
    const byName = Vec.prototype.labelsByName
    define(Vec.prototype, 'labelsByName', function labelsByName(pairs) {
      return initChild(this, byName.call(this, pairs), init)
    })
    define(Vec.prototype, 'labels', labels)
    define(Vec.prototype, 'remove', remove)
    const clear = Vec.prototype.clear
    define(Vec.prototype, 'clear', function () {
      clear.call(this)
      forgetChildren(this)
    })
  }

  // Counter
  const counterInc = Counter.prototype.inc
  const counterGet = Counter.prototype.get
  define(Counter.prototype, APPLY, function () {
    const amount = this[ADD]
    this[ADD] = 0
    this[DIRTY] = false
    if (amount !== 0) counterInc.call(this, amount)
  })
  define(Counter.prototype, 'inc', function inc(amount, exemplar) {
    if (exemplar !== undefined) return counterInc.call(this, amount, stringValues(exemplar))
    if (amount === undefined) amount = 1
    else if (typeof amount !== 'number' || !(amount >= 0) || this[PENDING_LIST] === undefined) return counterInc.call(this, amount)
    this[ADD] += amount
    markDirty(this)
  })
  define(Counter.prototype, 'get', function get() {
    if (this[PENDING_LIST] !== undefined) applyPending(this[PENDING_LIST])
    return counterGet.call(this)
  })

  // Gauge
  const gaugeSet = Gauge.prototype.set
  const gaugeInc = Gauge.prototype.inc
  const gaugeDec = Gauge.prototype.dec
  const gaugeGet = Gauge.prototype.get
  define(Gauge.prototype, APPLY, function () {
    const set = this[SET]
    const add = this[ADD]
    this[SET] = undefined
    this[ADD] = 0
    this[DIRTY] = false
    if (set !== undefined) gaugeSet.call(this, set)
    if (add !== 0) gaugeInc.call(this, add)
  })
  define(Gauge.prototype, 'set', function set(value) {
    if (typeof value !== 'number' || this[PENDING_LIST] === undefined) return gaugeSet.call(this, value)
    this[SET] = value
    this[ADD] = 0
    markDirty(this)
  })
  define(Gauge.prototype, 'inc', function inc(amount) {
    if (amount === undefined) amount = 1
    else if (typeof amount !== 'number' || this[PENDING_LIST] === undefined) return gaugeInc.call(this, amount)
    this[ADD] += amount
    markDirty(this)
  })
  define(Gauge.prototype, 'dec', function dec(amount) {
    if (amount === undefined) amount = 1
    else if (typeof amount !== 'number' || this[PENDING_LIST] === undefined) return gaugeDec.call(this, amount)
    this[ADD] -= amount
    markDirty(this)
  })
  define(Gauge.prototype, 'get', function get() {
    if (this[PENDING_LIST] !== undefined) applyPending(this[PENDING_LIST])
    return gaugeGet.call(this)
  })

  // Histogram and Summary
  for (const Child of [Histogram, Summary]) {
    const observe = Child.prototype.observe
    const observeMany = Child.prototype.observeMany
    const count = Child.prototype.count
    const sum = Child.prototype.sum
    define(Child.prototype, APPLY, function () {
      const observed = this[OBSERVED]
      this[OBSERVED] = []
      this[DIRTY] = false
      if (observed.length > 0) observeMany.call(this, observed)
    })
    define(Child.prototype, 'observe', function (value, exemplar) {
      if (exemplar !== undefined) return observe.call(this, value, stringValues(exemplar))
      if (typeof value !== 'number' || this[PENDING_LIST] === undefined) return observe.call(this, value)
      const observed = this[OBSERVED]
      observed.push(value)
      markDirty(this)
      if (observed.length >= MAX_PENDING_OBSERVATIONS) {
        this[OBSERVED] = []
        observeMany.call(this, observed)
      }
    })
    for (const [name, read] of [['count', count], ['sum', sum]]) {
      define(Child.prototype, name, function () {
        if (this[PENDING_LIST] !== undefined) applyPending(this[PENDING_LIST])
        return read.call(this)
      })
    }
  }

  // A metric without label names can be used directly: `registry.counter('x_total', 'X.').inc()`.
  const forward = (Vec, methods) => {
    for (const method of methods) {
      define(Vec.prototype, method, function (...args) {
        return this.labels()[method](...args)
      })
    }
  }
  forward(CounterVec, ['inc', 'get'])
  forward(GaugeVec, ['set', 'inc', 'dec', 'get'])
  forward(HistogramVec, ['observe', 'count', 'sum'])
  forward(SummaryVec, ['observe', 'count', 'sum'])
}

// `labels(...values)` / `labels([values])` / `labels({ name: value })`.
function labels(...values) {
  if (values.length === 1 && values[0] !== null && typeof values[0] === 'object') {
    if (Array.isArray(values[0])) return labels.apply(this, values[0])
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

// `remove(...values)` / `remove([values])` / `remove({ name: value })`: true when the series existed.
function remove(...values) {
  let removed
  if (values.length === 1 && values[0] !== null && typeof values[0] === 'object') {
    if (Array.isArray(values[0])) return remove.apply(this, values[0])
    removed = this.removeByName(stringValues(values[0]))
  } else {
    removed = this.removeLabelValues(values.map(String))
  }
  if (removed) forgetChildren(this)
  return removed
}

// Empties a vector's child cache (after a removal the next `labels(...)` asks the core again).
function forgetChildren(vec) {
  if (vec[CHILDREN] !== undefined) vec[CHILDREN].clear()
}

module.exports = { install }
