'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const srekit = require('..')

test('metric and label name validation follows the Prometheus charsets', () => {
  assert.equal(srekit.isValidMetricName('node_cpu_seconds_total'), true)
  assert.equal(srekit.isValidMetricName('job:rate5m'), true)
  assert.equal(srekit.isValidMetricName('1abc'), false)
  assert.equal(srekit.isValidMetricName(''), false)
  assert.equal(srekit.isValidLabelName('method'), true)
  assert.equal(srekit.isValidLabelName('http.method'), false)
})

test('sanitized names are always valid', () => {
  for (const raw of ['http.method', '1abc', 'a-b c', '', 'ünïcode', 'ok_name']) {
    assert.equal(srekit.isValidMetricName(srekit.sanitizeMetricName(raw)), true, raw)
    assert.equal(srekit.isValidLabelName(srekit.sanitizeLabelName(raw)), true, raw)
  }
  assert.equal(srekit.sanitizeMetricName('ok_name'), 'ok_name')
})
