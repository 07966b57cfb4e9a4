'use strict'
// One error of each kind (tests/vectors/errors, also run by the Python tests): its `code`, which
// follows the core's stable code, and its message, which Python raises word for word.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const srekit = require('..')

const VECTORS = path.join(__dirname, '..', '..', 'tests', 'vectors', 'errors', 'errors.json')
const CASES = JSON.parse(fs.readFileSync(VECTORS, 'utf8')).cases

const THROW = {
  metric_invalid_name: () => new srekit.Registry().counter('', 'x'),
  metric_duplicate: () => {
    const registry = new srekit.Registry()
    registry.counter('dup_total', 'x', ['a'])
    registry.counter('dup_total', 'x', ['a'])
  },
  metric_label_mismatch: () => new srekit.Registry().counter('jobs_total', 'x', ['a']).labels('1', '2'),
  metric_invalid_buckets: () => new srekit.Registry().histogram('h', 'x', [], [1, 0.5]),
  metric_invalid_value: () => new srekit.Registry().counter('jobs_total', 'x', ['a']).labels('1').inc(-1),
  exposition_parse: () => srekit.parseText('up{job="a" 1\n'),
  exposition_unknown_format: () => new srekit.Registry().encode('xml'),
  log_line: () => srekit.parseLogfmt('a=1 b="open'),
  log_config: () => new srekit.Parser('logfmt', { types: { a: 'decimal' } }),
  config_invalid: () => new srekit.LogRules(new srekit.Registry(), [{ name: 'g', kind: 'gauge' }]),
  host_unknown_collector: () => new srekit.HostCollector({ disableDefaults: true, enable: ['nope'] }),
  host_invalid_option: () => new srekit.HostCollector({ netdevDeviceExclude: '(' }),
}

test('every vector case is thrown here', () => {
  assert.deepEqual(Object.keys(THROW).sort(), CASES.map((c) => c.case).sort())
})

for (const vector of CASES) {
  test(`error ${vector.case}: code and message`, () => {
    assert.throws(THROW[vector.case], (err) => {
      assert.ok(err instanceof Error)
      assert.equal(err.code, vector.node_code)
      if (vector.message !== undefined) assert.equal(err.message, vector.message)
      else assert.ok(err.message.startsWith(vector.message_prefix), err.message)
      return true
    })
  })
}

test('node codes are the core codes in upper case, ERR_SREKIT_EXPOSITION kept', () => {
  for (const vector of CASES) {
    const expected = vector.code === 'exposition.parse'
      ? 'ERR_SREKIT_EXPOSITION'
      : `ERR_SREKIT_${vector.code.toUpperCase().replace(/\./g, '_')}`
    assert.equal(vector.node_code, expected)
  }
})

test('positions stay properties', () => {
  assert.throws(() => srekit.parseText('up{job="a" 1\n'), (err) => err.line === 1 && err.column === 12)
  assert.throws(() => srekit.parseLogfmt('a=1 b="open'), (err) => err.offset === 6 && err.code === 'ERR_SREKIT_LOG_LINE')
})

test('rule errors carry the rules code, also when the registry refused the metric', () => {
  assert.throws(
    () => new srekit.LogRules(new srekit.Registry(), [{ name: '', kind: 'counter' }]),
    (err) => err.code === 'ERR_SREKIT_CONFIG_INVALID' && err.message.startsWith('invalid rules: '),
  )
})

test('index.d.ts lists every code thrown here in SrekitErrorCode', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const union = dts.slice(dts.indexOf('export type SrekitErrorCode'), dts.indexOf('export interface SrekitError '))
  for (const vector of CASES) assert.ok(union.includes(`'${vector.node_code}'`), vector.node_code)
})
