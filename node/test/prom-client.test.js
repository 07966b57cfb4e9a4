'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const client = require('prom-client')
const srekit = require('..')
const { promtoolCheck } = require('../../tests/support/support.js')
const { registerHostMetrics, registerFamilies, metricsWithHost } = require('../prom-client.js')

function fakeProcfs(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srekit-procfs-'))
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content)
  return dir
}


test('registerHostMetrics puts host families into register.metrics() next to prom-client metrics', async () => {
  const register = new client.Registry()
  new client.Counter({ name: 'app_requests_total', help: 'App requests.', registers: [register] }).inc(3)
  const procfs = fakeProcfs({ loadavg: '0.50 0.25 0.10 1/100 12345\n' })
  const handle = registerHostMetrics(register, { procfs, disableDefaults: true, enable: ['loadavg'] })
  assert.ok(handle.names.includes('node_load1'))
  const text = await register.metrics()
  assert.match(text, /^app_requests_total 3$/m)
  assert.match(text, /^# TYPE node_load1 gauge$/m)
  assert.match(text, /^node_load1 0.5$/m)
  assert.match(text, /^node_load15 0.1$/m)
  assert.match(text, /^node_scrape_collector_success\{collector="loadavg"\} 1$/m)
  // the same text parses back into families with the values srekit collected
  const families = srekit.parseText(text)
  assert.equal(families.find((f) => f.name === 'node_load5').samples[0].value, 0.25)
  // values follow the files between scrapes
  fs.writeFileSync(path.join(procfs, 'loadavg'), '2.00 1.00 0.50 1/100 12345\n')
  assert.match(await register.metrics(), /^node_load1 2$/m)
  const json = await register.getMetricsAsJSON()
  assert.equal(json.find((m) => m.name === 'node_load1').values[0].value, 2)
  handle.unregister()
  assert.doesNotMatch(await register.metrics(), /node_load1/)
})

test('counters keep node_exporter names in text and OpenMetrics', async () => {
  const register = new client.Registry()
  registerHostMetrics(register, { disableDefaults: true, enable: ['cpu', 'stat'] })
  const text = await register.metrics()
  assert.match(text, /^# TYPE node_cpu_seconds_total counter$/m)
  assert.match(text, /^node_cpu_seconds_total\{cpu="0",mode="idle"\} \d/m)
  assert.match(text, /^node_context_switches_total \d/m)
  assert.equal(promtoolCheck(text, { host: true }), null)
  register.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE)
  const om = await register.metrics()
  assert.match(om, /^# TYPE node_cpu_seconds counter$/m)
  assert.match(om, /^node_cpu_seconds_total\{cpu="0",mode="idle"\} \d/m)
  assert.doesNotMatch(om, /_total_total/)
  assert.ok(om.endsWith('# EOF\n'))
})

test('one scrape runs one collection for all families', async () => {
  const register = new client.Registry()
  let collections = 0
  const registry = new srekit.Registry()
  registry.gauge('a_value', 'A.').set(1)
  registry.counter('b_events_total', 'B.', ['kind']).labels('x').inc(2)
  registerFamilies(register, () => {
    collections++
    return registry.gather()
  }, registry.gather())
  const text = await register.metrics()
  assert.equal(collections, 1)
  assert.match(text, /^a_value 1$/m)
  assert.match(text, /^b_events_total\{kind="x"\} 2$/m)
  assert.doesNotMatch(text, /_created/)
})

test('metricsWithHost appends the host exposition in the register format', async () => {
  const register = new client.Registry()
  new client.Gauge({ name: 'app_up', help: 'Up.', registers: [register] }).set(1)
  const procfs = fakeProcfs({ loadavg: '0.75 0.50 0.25 1/1 1\n' })
  const options = { procfs, disableDefaults: true, enable: ['loadavg'] }
  const text = await metricsWithHost(register, options)
  assert.match(text, /^app_up 1$/m)
  assert.match(text, /^node_load1 0.75$/m)
  assert.equal(srekit.parseText(text).length, srekit.parseText(await register.metrics()).length + 5)
  register.setContentType(client.Registry.OPENMETRICS_CONTENT_TYPE)
  const om = await metricsWithHost(register, options)
  assert.equal(om.match(/# EOF/g).length, 1)
  assert.ok(om.endsWith('# EOF\n'))
  assert.match(om, /^node_load1 0.75$/m)
})
