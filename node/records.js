'use strict'
// Builds record objects from the columnar batch the native `parseManyBatch` returns (see
// bindings/node/src/batch.rs for the layout). Each record shape (its key list) gets one compiled
// object-literal factory, cached per parser, so building an object costs one allocation plus its
// values. Shapes seen rarely, or beyond the cache's bound, use a generic loop.

const KIND_DICT = 1
const KIND_NUMBER = 2
const KIND_TRUE = 3
const KIND_FALSE = 4
const KIND_NULL = 5
const KIND_EXTRA = 6
const INDEX_MASK = (1 << 28) - 1

// Shapes used by fewer records than this in one batch are built by the generic loop.
const MIN_RECORDS_FOR_FACTORY = 8
// Compiled factories kept per parser.
const MAX_FACTORIES = 256

// cells[j] is 0 for a slice of `text`, else `kind << 28 | index`.
function valueGetter(batch) {
  const { text, starts, cells, numbers, dict, extras } = batch
  return function value(j) {
    const cell = cells[j]
    if (cell === 0) return text.substring(starts[j], starts[j + 1])
    const index = cell & INDEX_MASK
    switch (cell >>> 28) {
      case KIND_DICT:
        return dict[index]
      case KIND_NUMBER:
        return numbers[index]
      case KIND_TRUE:
        return true
      case KIND_FALSE:
        return false
      case KIND_NULL:
        return null
      case KIND_EXTRA:
        return extras[index]
      default:
        throw new Error(`srekit: unknown value cell ${cell}`)
    }
  }
}

function compileFactory(keys) {
  // (t, o, c, v) => (j) => ({ key0: value j, key1: value j+1, ... }); text values inline, others via v.
  let body = '"use strict"; return function record(j) { return {'
  keys.forEach((key, i) => {
    const name = key === '__proto__' ? '["__proto__"]' : JSON.stringify(key)
    body += `${name}: c[j + ${i}] === 0 ? t.substring(o[j + ${i}], o[j + ${i + 1}]) : v(j + ${i}),`
  })
  body += '} }'
  // eslint-disable-next-line no-new-func
  return new Function('t', 'o', 'c', 'v', body)
}

function genericRecord(keys, value, j) {
  const record = {}
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === '__proto__') {
      Object.defineProperty(record, '__proto__', { value: value(j + i), enumerable: true, writable: true, configurable: true })
    } else {
      record[keys[i]] = value(j + i)
    }
  }
  return record
}

/** A per-parser cache of compiled factories, keyed by the shape's keys joined with NUL. */
function createFactoryCache() {
  return new Map()
}

function materialize(batch, cache) {
  const { text, starts, cells, shapes, recordShapes } = batch
  const value = valueGetter(batch)
  const counts = new Uint32Array(shapes.length)
  for (let r = 0; r < recordShapes.length; r++) counts[recordShapes[r]]++
  const makers = shapes.map((keys, id) => {
    if (counts[id] < MIN_RECORDS_FOR_FACTORY) return null
    const signature = keys.join('\u0000')
    let factory = cache.get(signature)
    if (factory === undefined) {
      if (cache.size >= MAX_FACTORIES) return null
      factory = compileFactory(keys)
      cache.set(signature, factory)
    }
    return factory(text, starts, cells, value)
  })
  const records = new Array(recordShapes.length)
  let j = 0
  for (let r = 0; r < recordShapes.length; r++) {
    const id = recordShapes[r]
    const make = makers[id]
    records[r] = make === null ? genericRecord(shapes[id], value, j) : make(j)
    j += shapes[id].length
  }
  return records
}

module.exports = { materialize, createFactoryCache }
