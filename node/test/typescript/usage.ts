// Compiled (not run) by test/types.test.js with `tsc --noEmit --strict`: the README's usage must
// type-check against index.d.ts and prom-client.d.ts.
import * as fs from 'node:fs'
import {
  Registry,
  Parser,
  HostCollector,
  collectHost,
  collectHostAsync,
  collectHostText,
  parseLogfmt,
  parseJson,
  parseText,
  LogRules,
  contentType,
  negotiate,
  type MetricFamily,
  type HostReport,
  type LogRecord,
  type LineErrorInfo,
} from '../../index'
import { registerHostMetrics, metricsWithHost, type PromClientRegistry } from '../../prom-client'

const registry = new Registry()
const requests = registry.counter('http_requests_total', 'Requests served.', ['method', 'code'])
requests.labels('GET', 200).inc()
requests.labels({ method: 'POST', code: '500' }).inc(2)
const latency = registry.histogram('http_request_duration_seconds', 'Latency.', ['route'], [0.1, 0.5, 1])
latency.labels('/api').observe(0.2)
const text: string = registry.encode('openmetrics')
const exposed: { body: string, contentType: string } = registry.expose('text/plain;version=1.0.0;escaping=dots')
const type: string = contentType(negotiate('application/openmetrics-text'))
const families: MetricFamily[] = parseText(registry.encode())

const parser = new Parser('logfmt', { types: { status: 'int' }, timeKey: 'ts' })
const records: LogRecord[] = parser.parseMany(fs.readFileSync('/dev/null'))
const errors: LineErrorInfo[] | undefined = parser.lastErrors
const one = parseLogfmt('a=1 b=2')
const big = parseJson('{"n": 18446744073709551615}').n
if (typeof big === 'bigint') console.log(big + 1n)
const entries = parser.parseManyEntries('ts=1 a=b\n')
const firstTimestamp: number = entries.timestamps[0]

async function main(register: PromClientRegistry): Promise<void> {
  for await (const record of parser.parseFile('/var/log/app.log', { onError: (e) => console.error(e.line, e.message) })) {
    console.log(record.level)
  }
  const host: MetricFamily[] = await collectHostAsync({ procfs: '/host/proc', disable: ['hwmon'] })
  const collector = new HostCollector({ disableDefaults: true, enable: ['cpu', 'meminfo'] })
  const again: MetricFamily[] = collector.collect()
  const report: HostReport = collector.collectReport()
  const absent: string[] = report.noData
  const offThread: HostReport = await collector.collectReportAsync()
  const reasons: Record<string, string> = report.failures
  const exposition: string = collectHostText(undefined, 'openmetrics') + (await collector.collectTextAsync())
  const handle = registerHostMetrics(register, { disable: ['hwmon'] })
  handle.unregister()
  const merged: string = await metricsWithHost(register)
  console.log(host.length, again.length, absent.length, Object.keys(reasons).length, report.warnings.length, offThread.families.length, exposition.length, merged.length, collectHost().length)
}

const logRules = new LogRules(registry, [
  { name: 'http_requests_total', help: 'Requests.', kind: 'counter', labels: ['status'] },
  { name: 'http_seconds', kind: 'histogram', value: 'ms', scale: 0.001, buckets: [0.1, 1], labels: { route: 'path' }, max_series: 100 },
])
const applied: number = logRules.applyLines(parser, 'status=200 ms=3\n').records

console.log(applied, text, type, families, records, errors, one, firstTimestamp, main)
