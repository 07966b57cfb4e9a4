'use strict'
// A /metrics endpoint in a few lines: application metrics from a srekit Registry plus host metrics
// with node_exporter's names, in the format the scraper asks for (text 0.0.4 or OpenMetrics).
//
//   node examples/metrics-server.js [port]      then: curl -s localhost:9464/metrics
//
// The host collection runs off the main thread (collectHostTextAsync), so a scrape never blocks
// request handling.

const http = require('node:http')
const srekit = require('..')

const registry = new srekit.Registry()
const requests = registry.counter('http_requests_total', 'HTTP requests served.', ['route', 'code'])
const latency = registry.histogram('http_request_duration_seconds', 'HTTP request latency.', ['route'], [0.005, 0.01, 0.05, 0.1, 0.5, 1])
const host = new srekit.HostCollector({ disable: ['hwmon'] })

const server = http.createServer(async (req, res) => {
  const started = process.hrtime.bigint()
  if (req.url === '/metrics') {
    const format = srekit.negotiate(req.headers.accept || '')
    const hostText = await host.collectTextAsync(format)
    // registry output first; in OpenMetrics only the last part keeps its `# EOF`
    const own = registry.encode(format)
    const body = format === 'openmetrics' ? own.replace(/# EOF\n$/, '') + hostText : own + hostText
    res.writeHead(200, { 'Content-Type': srekit.contentType(format) })
    res.end(body)
  } else {
    res.writeHead(404)
    res.end('not found\n')
  }
  const route = req.url === '/metrics' ? '/metrics' : 'other'
  requests.labels(route, String(res.statusCode)).inc()
  latency.labels(route).observe(Number(process.hrtime.bigint() - started) / 1e9)
})

const port = Number(process.argv[2] || 9464)
server.listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}/metrics`)
})

module.exports = server
