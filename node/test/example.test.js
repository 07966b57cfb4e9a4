'use strict'
// Starts examples/metrics-server.js as a process on a free 127.0.0.1 port and scrapes it over HTTP.
const test = require('node:test')
const assert = require('node:assert/strict')
const http = require('node:http')
const path = require('node:path')
const { spawn } = require('node:child_process')
const srekit = require('..')

function get(port, accept) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', headers: accept ? { accept } : {} }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body }))
    })
    req.on('error', reject)
    req.setTimeout(10000, () => req.destroy(new Error('timeout')))
  })
}

test('the example server serves registry and host metrics, text or OpenMetrics', { timeout: 60000 }, async () => {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'examples', 'metrics-server.js'), '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  try {
    const port = await new Promise((resolve, reject) => {
      child.stdout.setEncoding('utf8')
      child.stdout.on('data', (line) => {
        const match = /127\.0\.0\.1:(\d+)/.exec(line)
        if (match) resolve(Number(match[1]))
      })
      child.on('exit', (code) => reject(new Error(`server exited with ${code}`)))
    })
    await get(port)
    const text = await get(port)
    assert.equal(text.status, 200)
    assert.equal(text.type, srekit.contentType('text'))
    const families = srekit.parseText(text.body)
    const names = families.map((f) => f.name)
    assert.ok(names.includes('http_requests') && names.includes('node_cpu_seconds') && names.includes('node_load1'))
    const served = families.find((f) => f.name === 'http_requests').samples
    assert.ok(served.some((s) => s.labels.route === '/metrics' && s.labels.code === '200' && s.value >= 1))
    const om = await get(port, 'application/openmetrics-text; version=1.0.0')
    assert.equal(om.type, srekit.contentType('openmetrics'))
    assert.equal(om.body.match(/^# EOF$/gm).length, 1)
    assert.ok(om.body.endsWith('# EOF\n'))
    assert.ok(srekit.parseText(om.body).some((f) => f.name === 'node_memory_MemTotal_bytes'))
  } finally {
    child.kill()
  }
})
