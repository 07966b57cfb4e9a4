// Pipeline: the exporter's log pipeline in-process, feeding the application's Registry (container
// envelopes, Kubernetes metadata and rule options included).
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const srekit = require('..')

function setUp() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'srekit-pipeline-'))
  const logs = path.join(root, 'var/log/containers')
  fs.mkdirSync(logs, { recursive: true })
  const log = path.join(logs, 'web-1_shop_app-abc123.log')
  const config = {
    state: { directory: path.join(root, 'state') },
    inputs: [{ name: 'containers', paths: [`${logs}/*.log`], container: 'cri', kubernetes: true, format: 'logfmt', read_from_head: true }],
    metrics: [{ name: 'requests_total', kind: 'counter', labels: { namespace: 'kubernetes.namespace', status: 'status' }, const_labels: { team: 'shop' } }],
  }
  return { root, log, config }
}

test('poll feeds the application registry and stop writes the checkpoint', () => {
  const { root, log, config } = setUp()
  fs.writeFileSync(log, '2024-05-01T10:00:00Z stdout P status=\n2024-05-01T10:00:00Z stdout F 200\n')
  const registry = new srekit.Registry()
  const pipeline = new srekit.Pipeline(registry, config)
  const summary = pipeline.poll()
  assert.equal(summary.lines, 2)
  assert.equal(summary.parseErrors, 0)
  assert.ok(registry.encode('text').includes('requests_total{namespace="shop",status="200",team="shop"} 1'))
  pipeline.stop()
  assert.ok(fs.existsSync(path.join(root, 'state', 'checkpoint.json')))
})

test('a started pipeline counts new lines; poll while started throws', async () => {
  const { log, config } = setUp()
  fs.writeFileSync(log, '')
  const registry = new srekit.Registry()
  const pipeline = new srekit.Pipeline(registry, config).start()
  assert.throws(() => pipeline.poll(), /started/)
  fs.appendFileSync(log, '2024-05-01T10:00:00Z stdout F status=503\n')
  const deadline = Date.now() + 10000
  while (!registry.encode('text').includes('status="503"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  assert.ok(registry.encode('text').includes('requests_total{namespace="shop",status="503",team="shop"} 1'))
  pipeline.stop()
  pipeline.stop()
  assert.deepEqual(pipeline.errors(), [])
})

test('a bad config throws with the core message', () => {
  assert.throws(() => new srekit.Pipeline(new srekit.Registry(), { inputs: [{ nmae: 'x' }] }), /invalid pipeline config/)
})
