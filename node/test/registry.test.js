'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const srekit = require('..')
const { promtoolCheck } = require('../../tests/support/support.js')

test('counter children encode in text 0.0.4 with labels in label-name order', () => {
  const registry = new srekit.Registry()
  const requests = registry.counter('http_requests_total', 'Requests served.', ['method', 'code'])
  requests.labels('GET', '200').inc()
  requests.labels('GET', 200).inc(2)
  requests.labels({ code: '500', method: 'POST' }).inc(0.5)
  assert.equal(
    registry.encode(),
    '# HELP http_requests_total Requests served.\n' +
      '# TYPE http_requests_total counter\n' +
      'http_requests_total{method="GET",code="200"} 3\n' +
      'http_requests_total{method="POST",code="500"} 0.5\n',
  )
  assert.equal(requests.labels('GET', '200').get(), 3)
  assert.equal(requests.seriesCount(), 2)
})

test('labels(...) returns the same cached child for the same values', () => {
  const registry = new srekit.Registry()
  const vec = registry.gauge('queue_depth', 'Depth.', ['queue'])
  const a = vec.labels('jobs')
  assert.equal(vec.labels('jobs'), a)
  assert.equal(vec.labels(['jobs']), a)
  assert.notEqual(vec.labels('mail'), a)
  a.set(7)
  a.inc()
  a.dec(3)
  assert.equal(vec.labels('jobs').get(), 5)
})

test('metrics without labels are used directly', () => {
  const registry = new srekit.Registry()
  const up = registry.gauge('up', 'Up.')
  up.set(1)
  const total = registry.counter('events_total', 'Events.')
  total.inc()
  total.inc(4)
  assert.equal(total.get(), 5)
  assert.match(registry.encode(), /^up 1$/m)
  assert.match(registry.encode(), /^events_total 5$/m)
})

test('histogram buckets are cumulative with +Inf, _sum and _count', () => {
  const registry = new srekit.Registry()
  const latency = registry.histogram('rpc_seconds', 'Latency.', ['route'], [0.1, 0.5, 1])
  const child = latency.labels('/api')
  for (const v of [0.05, 0.3, 0.3, 2]) child.observe(v)
  const text = registry.encode()
  assert.match(text, /^rpc_seconds_bucket\{route="\/api",le="0.1"\} 1$/m)
  assert.match(text, /^rpc_seconds_bucket\{route="\/api",le="0.5"\} 3$/m)
  assert.match(text, /^rpc_seconds_bucket\{route="\/api",le="1"\} 3$/m)
  assert.match(text, /^rpc_seconds_bucket\{route="\/api",le="\+Inf"\} 4$/m)
  assert.match(text, /^rpc_seconds_sum\{route="\/api"\} 2.65$/m)
  assert.match(text, /^rpc_seconds_count\{route="\/api"\} 4$/m)
  assert.equal(child.count(), 4)
  assert.equal(child.sum(), 2.65)
})

test('histogram without buckets gets the Prometheus defaults', () => {
  const registry = new srekit.Registry()
  registry.histogram('h_seconds', 'H.').observe(0.2)
  const les = [...registry.encode().matchAll(/le="([^"]+)"/g)].map((m) => m[1])
  assert.deepEqual(les, ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'])
})

test('OpenMetrics output ends with # EOF and names counters by base name', () => {
  const registry = new srekit.Registry()
  registry.counter('jobs_total', 'Jobs.').inc()
  const om = registry.encode('openmetrics')
  assert.ok(om.endsWith('# EOF\n'))
  assert.match(om, /^# TYPE jobs counter$/m)
  assert.match(om, /^jobs_total 1\.0$/m)
  assert.match(om, /^jobs_created \d\.\d+e\+09$/m)
  assert.equal(srekit.contentType('openmetrics'), 'application/openmetrics-text; version=1.0.0; charset=utf-8')
  assert.equal(srekit.contentType(), 'text/plain; version=0.0.4; charset=utf-8')
  assert.throws(() => registry.encode('xml'), /unknown exposition format/)
})

test('negotiate picks OpenMetrics only when the Accept header asks for it', () => {
  assert.equal(srekit.negotiate('application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5'), 'openmetrics')
  assert.equal(srekit.negotiate('text/plain'), 'text')
  assert.equal(srekit.negotiate(''), 'text')
})

test('core errors are thrown with the core message', () => {
  const registry = new srekit.Registry()
  assert.throws(() => registry.counter('', 'x'), /invalid metric name "": must not be empty/)
  const vec = registry.counter('c_total', 'C.', ['a'])
  assert.throws(() => registry.counter('c_total', 'again'), /already registered/)
  assert.throws(() => vec.labels('x', 'y'), /has 1 label names but 2 values were given/)
  assert.throws(() => vec.labels({ b: '1' }), /has no label named "b"/)
  assert.throws(() => vec.labels('x').inc(-1), /cannot be decreased/)
  assert.throws(() => registry.histogram('h', 'H.', [], [1, 0.5]), /invalid buckets/)
  assert.throws(() => registry.histogram('h2', 'H.', ['le']), /invalid label name/)
  assert.throws(() => registry.gauge('g', 'G.', ['__reserved']), /invalid label name/)
})

test('gather returns families in the binding shape', () => {
  const registry = new srekit.Registry()
  registry.gauge('temp_celsius', 'Temperature.', ['room']).labels('lab').set(21.5)
  assert.deepEqual(registry.gather(), [
    {
      name: 'temp_celsius',
      type: 'gauge',
      help: 'Temperature.',
      unit: '',
      samples: [{ name: 'temp_celsius', labels: { room: 'lab' }, value: 21.5, timestamp: null }],
    },
  ])
})

test('encode -> parseText round trip keeps every sample', () => {
  const registry = new srekit.Registry()
  const c = registry.counter('rt_total', 'Round trip "quoted" \\ help.', ['path'])
  c.labels('/a"b\\c\nd').inc(3)
  registry.gauge('rt_gauge', 'G.').set(-Infinity)
  registry.histogram('rt_seconds', 'H.', [], [1]).observe(0.5)
  const families = srekit.parseText(registry.encode())
  const byName = Object.fromEntries(families.map((f) => [f.name, f]))
  assert.equal(byName.rt.type, 'counter')
  assert.equal(byName.rt.help, 'Round trip "quoted" \\ help.')
  assert.deepEqual(byName.rt.samples[0], { name: 'rt_total', labels: { path: '/a"b\\c\nd' }, value: 3, timestamp: null })
  assert.equal(byName.rt_gauge.samples[0].value, -Infinity)
  assert.deepEqual(
    byName.rt_seconds.samples.map((s) => [s.name, s.labels.le, s.value]),
    [['rt_seconds_bucket', '1', 1], ['rt_seconds_bucket', '+Inf', 1], ['rt_seconds_sum', undefined, 0.5], ['rt_seconds_count', undefined, 1]],
  )
})

test('parseText errors carry line and column', () => {
  assert.throws(
    () => srekit.parseText('ok 1\nup{job="a" 1\n'),
    (err) => err instanceof Error && err.line === 2 && err.column > 1 && /^line 2, column \d+: /.test(err.message),
  )
})

test('promtool accepts the text output', () => {
  const registry = new srekit.Registry()
  registry.counter('http_requests_total', 'Requests.', ['method']).labels('GET').inc()
  registry.histogram('http_request_duration_seconds', 'Latency.', ['method']).labels('GET').observe(0.2)
  registry.gauge('queue_depth', 'Depth.').set(3)
  assert.equal(promtoolCheck(registry.encode()), null)
  assert.notEqual(promtoolCheck('# TYPE x counter\nx 1\n'), null, 'the policy really fails on a finding')
})

test('buffered updates are applied before every read', () => {
  const registry = new srekit.Registry()
  const counter = registry.counter('buffered_total', 'B.', ['k']).labels('a')
  for (let i = 0; i < 1000; i++) counter.inc()
  counter.inc(0.5)
  assert.equal(counter.get(), 1000.5)
  counter.inc(2)
  assert.match(registry.encode(), /^buffered_total\{k="a"\} 1002.5$/m)
  counter.inc()
  assert.equal(registry.gather()[0].samples[0].value, 1003.5)

  const gauge = registry.gauge('buffered_gauge', 'G.', ['k'])
  const g = gauge.labels({ k: 'x' })
  g.set(5)
  g.inc(2)
  g.dec()
  assert.equal(g.get(), 6)
  g.inc()
  g.set(1)
  g.inc()
  assert.equal(gauge.labels('x').get(), 2)
  assert.equal(gauge.labels('x'), gauge.labels('x'))

  const histogram = registry.histogram('buffered_seconds', 'H.', [], [1])
  for (let i = 0; i < 2500; i++) histogram.observe(i % 2 === 0 ? 0.5 : 2)
  assert.equal(histogram.count(), 2500)
  assert.equal(histogram.sum(), 1250 * 0.5 + 1250 * 2)
  assert.match(registry.encode(), /^buffered_seconds_bucket\{le="1"\} 1250$/m)
  const summary = registry.summary('buffered_summary', 'S.', ['k'])
  summary.labels('s').observe(3)
  summary.labels('s').observe(4)
  assert.equal(summary.labels('s').count(), 2)
  assert.equal(summary.labels('s').sum(), 7)
})

test('invalid updates throw at once and change nothing', () => {
  const registry = new srekit.Registry()
  const counter = registry.counter('strict_total', 'S.').labels()
  counter.inc(3)
  assert.throws(() => counter.inc(-1), /cannot be decreased/)
  assert.throws(() => counter.inc(NaN), /cannot be decreased/)
  assert.throws(() => counter.inc('5'))
  assert.equal(counter.get(), 3)
  const gauge = registry.gauge('strict_gauge', 'G.').labels()
  assert.throws(() => gauge.set('high'))
  assert.throws(() => gauge.inc({}))
  const histogram = registry.histogram('strict_seconds', 'H.').labels()
  assert.throws(() => histogram.observe('slow'))
  assert.equal(histogram.count(), 0)
})

test('registries keep their pending updates apart', () => {
  const a = new srekit.Registry()
  const b = new srekit.Registry()
  a.counter('same_total', 'A.').inc(1)
  b.counter('same_total', 'B.').inc(2)
  assert.match(a.encode(), /^same_total 1$/m)
  assert.match(b.encode(), /^same_total 2$/m)
})

test('summaries take labels by name, and every vector removes and clears series', () => {
  const registry = new srekit.Registry()
  const summary = registry.summary('sizes_bytes', 'Sizes.', ['route', 'method'])
  summary.labels({ method: 'GET', route: '/a' }).observe(3)
  assert.equal(summary.labels('/a', 'GET').count(), 1)
  for (const vec of [
    summary,
    registry.counter('c_total', 'C.', ['route', 'method']),
    registry.gauge('g', 'G.', ['route', 'method']),
    registry.histogram('h_seconds', 'H.', ['route', 'method']),
  ]) {
    const kept = vec.labels('/a', 'GET')
    vec.labels('/b', 'PUT')
    assert.equal(vec.seriesCount(), 2)
    assert.equal(vec.remove({ route: '/a', method: 'GET' }), true)
    assert.equal(vec.remove('/a', 'GET'), false)
    assert.equal(vec.seriesCount(), 1)
    assert.notEqual(vec.labels('/a', 'GET'), kept, 'a removed child is not served from the cache')
    assert.throws(() => vec.remove('/a'), /has 2 label names but 1 values were given/)
    vec.clear()
    assert.equal(vec.seriesCount(), 0)
  }
  assert.ok(!registry.encode().includes('route='))
})

test('exemplars are kept in counters and buckets and written in OpenMetrics only', () => {
  const registry = new srekit.Registry()
  const hits = registry.counter('hits_total', 'Hits.', ['route'])
  hits.labels('/a').inc(2) // buffered
  hits.labels('/a').inc(1, { trace_id: 'abc' })
  const latency = registry.histogram('latency_seconds', 'Latency.', [], [0.1, 1])
  latency.observe(0.5, { trace_id: 'def' })
  const om = registry.encode('openmetrics').split('\n')
  // Numbers as client_golang writes OpenMetrics: floats with a `.0`, counts as integers.
  assert.ok(om.includes('hits_total{route="/a"} 3.0 # {trace_id="abc"} 1.0'), om.join('\n'))
  assert.ok(om.includes('latency_seconds_bucket{le="1"} 1 # {trace_id="def"} 0.5'), om.join('\n'))
  assert.ok(!registry.encode().includes(' # {'))
  assert.throws(() => hits.labels('/a').inc(1, { trace_id: 'x'.repeat(200) }), /at most 128/)
  assert.equal(hits.labels('/a').get(), 4, 'the increment counts even when the exemplar is refused')
})

test('encodePush gives remote-write and OTLP bodies of the current values (pending updates applied)', () => {
  const registry = new srekit.Registry()
  registry.counter('jobs_total', 'Jobs done.', ['queue']).labels('mail').inc(3)
  registry.gauge('temperature_celsius', 'Temperature.', ['zone']).labels('a').set(21.5)
  const otlp = registry.encodePush('otlp')
  assert.ok(Buffer.isBuffer(otlp))
  // Protobuf strings are raw UTF-8: the OTLP metric names (a counter without _total), help and labels.
  const text = otlp.toString('latin1')
  for (const part of ['jobs', 'Jobs done.', 'queue', 'mail', 'temperature_celsius', 'zone']) {
    assert.ok(text.includes(part), part)
  }
  assert.ok(!text.includes('jobs_total'))
  // The gauge's value 21.5 as a little-endian double (field as_double) is in the body.
  const value = Buffer.alloc(8)
  value.writeDoubleLE(21.5)
  assert.ok(otlp.includes(value))
  const rw = registry.encodePush('remote_write')
  assert.ok(Buffer.isBuffer(rw) && rw.toString('latin1').includes('jobs_total'))
  assert.throws(() => registry.encodePush('xml'), { code: 'ERR_SREKIT_EXPOSITION_UNKNOWN_FORMAT' })
})
