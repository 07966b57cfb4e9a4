'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const srekit = require('..')

test('rules count, observe and set from parsed lines, with inputs and filters', () => {
  const registry = new srekit.Registry()
  const rules = new srekit.LogRules(
    registry,
    [
      { name: 'api_requests_total', help: 'API requests.', kind: 'counter', labels: { code: 'status' }, match: { path: '^/api/' } },
      { name: 'api_seconds', help: 'Latency.', kind: 'histogram', value: 'ms', scale: 0.001, buckets: [0.1, 1], exclude: { path: 'health' } },
      { name: 'queue_depth', help: 'Depth.', kind: 'gauge', value: 'depth', inputs: ['worker'] },
    ],
    { input: 'web' },
  )
  const parser = new srekit.Parser('logfmt')
  const result = rules.applyLines(parser, 'path=/api/a status=200 ms=50\npath=/api/b status=500 ms=2000\npath=/healthz status=200 ms=1\ndepth=9\n')
  assert.equal(result.records, 4)
  const text = registry.encode()
  assert.match(text, /^api_requests_total\{code="200"\} 1$/m)
  assert.match(text, /^api_requests_total\{code="500"\} 1$/m)
  assert.doesNotMatch(text, /healthz/)
  assert.match(text, /^api_seconds_bucket\{le="0.1"\} 1$/m)
  assert.match(text, /^api_seconds_count 2$/m)
  // the gauge only listens to input "worker"
  assert.match(text, /^# TYPE queue_depth gauge$/m)
  assert.doesNotMatch(text, /^queue_depth /m)
  // a missing value is counted, not lost
  assert.match(text, /^srekit_log_records_skipped_total\{metric="api_seconds",reason="value"\} 1$/m)
})

test('the series cap drops and counts new label sets', () => {
  const registry = new srekit.Registry()
  const rules = new srekit.LogRules(registry, [{ name: 'users_total', help: 'U.', kind: 'counter', labels: ['user'], max_series: 2 }])
  rules.applyLines(new srekit.Parser('ltsv'), 'user:a\nuser:b\nuser:c\nuser:a\n')
  const text = registry.encode()
  assert.match(text, /^users_total\{user="a"\} 2$/m)
  assert.doesNotMatch(text, /user="c"/)
  assert.match(text, /^srekit_log_series_dropped_total\{metric="users_total",reason="max_series"\} 1$/m)
})

test('bad lines are reported and the rest applied; invalid rules throw', () => {
  const registry = new srekit.Registry()
  const rules = new srekit.LogRules(registry, [{ name: 'lines_total', help: 'L.', kind: 'counter' }])
  const result = rules.applyLines(new srekit.Parser('json'), Buffer.from('{"a":1}\nnope\n{"b":2}\n'))
  assert.equal(result.records, 2)
  assert.deepEqual(result.errors.map((e) => e.line), [2])
  assert.match(registry.encode(), /^lines_total 2$/m)
  const other = new srekit.Registry()
  assert.throws(() => new srekit.LogRules(other, [{ name: 'x', kind: 'summary' }]), /invalid rules: unknown variant `summary`/)
  assert.throws(() => new srekit.LogRules(other, [{ name: 'x', kind: 'counter', colour: 'red' }]), /unknown field `colour`/)
  assert.throws(() => new srekit.LogRules(new srekit.Registry(), [{ name: 'g', kind: 'gauge' }]), /needs `value`/)
  assert.throws(() => new srekit.LogRules(new srekit.Registry(), [{ name: 'm', kind: 'counter', match: { a: '(' } }]), /invalid regex/)
  assert.throws(() => new srekit.LogRules(new srekit.Registry(), 'not an array'), TypeError)
})

test('applyStream and applyFile count every line across chunk boundaries', async () => {
  const fs = require('node:fs')
  const os = require('node:os')
  const path = require('node:path')
  const { Readable } = require('node:stream')
  const lines = Array.from({ length: 3000 }, (_, i) => (i % 1000 === 500 ? 'status="oops' : `status=${i % 3 === 0 ? 500 : 200} ms=${i}`))
  const text = lines.join('\n') + '\n'
  const expected = new srekit.Registry()
  new srekit.LogRules(expected, [{ name: 'r_total', help: 'R.', kind: 'counter', labels: ['status'] }]).applyLines(new srekit.Parser('logfmt'), text)

  const registry = new srekit.Registry()
  const rules = new srekit.LogRules(registry, [{ name: 'r_total', help: 'R.', kind: 'counter', labels: ['status'] }])
  const chunks = []
  for (let at = 0; at < text.length; at += 1000) chunks.push(text.slice(at, at + 1000))
  const errors = []
  const totals = await rules.applyStream(new srekit.Parser('logfmt'), Readable.from(chunks), { onError: (e) => errors.push(e.line) })
  assert.deepEqual(totals, { records: 2997, errors: 3 })
  assert.deepEqual(errors, [501, 1501, 2501])
  assert.equal(registry.encode(), expected.encode())

  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'srekit-rules-')), 'app.log')
  fs.writeFileSync(file, text)
  const fromFile = new srekit.Registry()
  const fileTotals = await new srekit.LogRules(fromFile, [{ name: 'r_total', help: 'R.', kind: 'counter', labels: ['status'] }]).applyFile(new srekit.Parser('logfmt'), file)
  assert.deepEqual(fileTotals, { records: 2997, errors: 3 })
  assert.equal(fromFile.encode(), expected.encode())
})
