'use strict'
// Builds record objects from the columnar batch the native `parseManyBatch` returns (see
// bindings/node/src/batch.rs for the layout). Each record shape (its key list) gets one compiled
// object-literal factory, cached per parser, so building an object costs one allocation plus its
// values; a batch whose records all share one shape is built by one compiled loop instead (no call
// per record). Shapes seen rarely, or beyond the cache's bound, use a generic loop.

const KIND_DICT = 1
const KIND_NUMBER = 2
const KIND_TRUE = 3
const KIND_FALSE = 4
const KIND_NULL = 5
const KIND_EXTRA = 6
const INDEX_MASK = (1 << 28) - 1
// Cells below TAGGED are slices of `text`; see valueGetter.
const TAGGED = 2 ** 31
const DICT_CELL_TOP = 8 | KIND_DICT // cell >>> 28 of a dictionary cell

// Shapes used by fewer records than this in one batch are built by the generic loop.
const MIN_RECORDS_FOR_FACTORY = 8
// Compiled factories (and, separately, whole-batch loops) kept per parser.
const MAX_FACTORIES = 256

// cells[j] below 2^31 is a slice of `text` from where the previous text value ended (pos[0]) to
// cells[j]; else 2^31 | kind << 28 | index. Values are read in order, so pos[0] advances as they are.
function valueGetter(batch, pos) {
  const { text, numbers, dict, extras } = batch
  return function value(cell) {
    if (cell < TAGGED) {
      const start = pos[0]
      pos[0] = cell
      return text.substring(start, cell)
    }
    const index = cell & INDEX_MASK
    switch ((cell >>> 28) & 7) {
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
  // (t, c, d, v, p) => (j) => ({ key0: value j, key1: value j+1, ... }); text and dictionary values
  // inline, others via v. p[0] is the end of the last text value read.
  let body = '"use strict"; return function record(j) { let s = p[0], x; const r = {'
  keys.forEach((key, i) => {
    const name = key === '__proto__' ? '["__proto__"]' : JSON.stringify(key)
    body += `${name}: (x = c[j + ${i}]) < ${TAGGED} ? t.substring(s, s = x) : x >>> 28 === ${DICT_CELL_TOP} ? d[x & ${INDEX_MASK}] : v(x),`
  })
  body += '}; p[0] = s; return r }'
  // eslint-disable-next-line no-new-func
  return new Function('t', 'c', 'd', 'v', 'p', body)
}

// The whole batch when every record has the same shape (the common case): one loop, no call per
// record, storing record r at out[at + r].
function compileLoop(keys) {
  let body = `"use strict"; let s = 0, x, j = 0; for (let r = 0; r < n; r++, j += ${keys.length}) { out[at + r] = ({`
  keys.forEach((key, i) => {
    const name = key === '__proto__' ? '["__proto__"]' : JSON.stringify(key)
    body += `${name}: (x = c[j + ${i}]) < ${TAGGED} ? t.substring(s, s = x) : x >>> 28 === ${DICT_CELL_TOP} ? d[x & ${INDEX_MASK}] : v(x),`
  })
  body += '}) } return out'
  // eslint-disable-next-line no-new-func
  return new Function('n', 't', 'c', 'd', 'v', 'out', 'at', body)
}

function cached(cache, signature, compile, keys) {
  let compiled = cache.get(signature)
  if (compiled === undefined) {
    if (cache.size >= MAX_FACTORIES) return null
    compiled = compile(keys)
    cache.set(signature, compiled)
  }
  return compiled
}

function genericRecord(keys, value, cells, j) {
  const record = {}
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === '__proto__') {
      Object.defineProperty(record, '__proto__', { value: value(cells[j + i]), enumerable: true, writable: true, configurable: true })
    } else {
      record[keys[i]] = value(cells[j + i])
    }
  }
  return record
}

/**
 * A per-parser cache of compiled factories and loops, keyed by the shape's keys joined with NUL, and
 * the scratch array the native batches write their cells into.
 */
function createFactoryCache() {
  return { factories: new Map(), loops: new Map(), scratch: null }
}

/**
 * Appends the records of `batch` to the array `out` and returns the array holding them: `out`, or,
 * when `out` is empty, a new array created at the batch's length (filled by index, so it never grows
 * and copies itself record by record).
 */
function materialize(batch, cache, out) {
  const { text, cells, dict, shapes, recordShapes } = batch
  const pos = [0]
  const value = valueGetter(batch, pos)
  const at = out.length
  if (at === 0) out = new Array(recordShapes.length)
  if (shapes.length === 1 && recordShapes.length >= MIN_RECORDS_FOR_FACTORY) {
    const keys = shapes[0]
    const loop = cached(cache.loops, keys.join('\u0000'), compileLoop, keys)
    if (loop !== null) return loop(recordShapes.length, text, cells, dict, value, out, at)
  }
  const counts = new Uint32Array(shapes.length)
  for (let r = 0; r < recordShapes.length; r++) counts[recordShapes[r]]++
  const makers = shapes.map((keys, id) => {
    if (counts[id] < MIN_RECORDS_FOR_FACTORY) return null
    const factory = cached(cache.factories, keys.join('\u0000'), compileFactory, keys)
    return factory === null ? null : factory(text, cells, dict, value, pos)
  })
  let j = 0
  for (let r = 0; r < recordShapes.length; r++) {
    const id = recordShapes[r]
    const make = makers[id]
    out[at + r] = make === null ? genericRecord(shapes[id], value, cells, j) : make(j)
    j += shapes[id].length
  }
  return out
}

module.exports = { materialize, createFactoryCache }
