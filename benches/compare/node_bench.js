'use strict'
// Peer comparison for the npm package `srekit`, all in one run on the same data:
//   - logfmt: srekit Parser('logfmt').parseMany(whole buffer) vs npm `logfmt` parse() line by line
//   - columns: srekit parseColumns(whole buffer) read by apache-arrow's tableFromIPC vs npm `logfmt`
//     building objects line by line
//   - LTSV:   srekit Parser('ltsv').parseMany vs npm `ltsv` parse() line by line
//   - JSON:   srekit Parser('json').parseMany vs JSON.parse per line
//   - encode 10,000 labelled series: srekit Registry.encode() vs prom-client register.metrics()
//   - labels(..).inc() on a hot path: srekit vs prom-client
//   - one host collection: srekit collectHostAsync() vs systeminformation (load, memory,
//     filesystems, disk I/O, network)
// Run through bench_node.sh, which installs the peers into a scratch directory and passes it in
// SREKIT_BENCH_PEERS. Prints one line per measurement and a JSON summary at the end.

const path = require('node:path')

const peersDir = process.env.SREKIT_BENCH_PEERS
const peer = (name) => require(path.join(peersDir, 'node_modules', name))
const srekit = require(path.join(__dirname, '..', '..', 'node'))

const LINES = Number(process.env.SREKIT_BENCH_LINES || 100000)
const RUNS = Number(process.env.SREKIT_BENCH_RUNS || 7)

// Deterministic pseudo-random numbers (mulberry32), so every run sees the same data.
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function pick(random, weighted) {
  let x = random() * weighted.reduce((sum, [, w]) => sum + w, 0)
  for (const [value, weight] of weighted) {
    x -= weight
    if (x < 0) return value
  }
  return weighted[weighted.length - 1][0]
}

// Realistic access-log style records: low-cardinality fields (level, method, status, service),
// high-cardinality ones (timestamps, ids, paths with ids, durations, IPs), a quoted message.
function makeRecords(count) {
  const random = rng(42)
  const records = []
  const start = Date.UTC(2026, 10, 25, 12, 0, 0)
  const routes = ['/api/v1/orders/{id}', '/api/v1/users/{id}/cart', '/healthz', '/api/v1/search', '/static/app.{id}.js']
  const messages = ['request completed', 'request completed', 'request completed', 'upstream timeout, retrying', 'cache miss']
  for (let i = 0; i < count; i++) {
    const status = pick(random, [['200', 85], ['201', 4], ['304', 4], ['404', 4], ['500', 2], ['503', 1]])
    records.push([
      ['ts', new Date(start + i * 37).toISOString()],
      ['level', status >= '500' ? 'error' : pick(random, [['info', 90], ['debug', 7], ['warn', 3]])],
      ['service', pick(random, [['checkout', 5], ['catalog', 3], ['auth', 2]])],
      ['msg', messages[Math.floor(random() * messages.length)]],
      ['method', pick(random, [['GET', 70], ['POST', 20], ['PUT', 6], ['DELETE', 4]])],
      ['path', routes[Math.floor(random() * routes.length)].replace('{id}', String(Math.floor(random() * 100000)))],
      ['status', status],
      ['duration_ms', (random() * 250).toFixed(3)],
      ['bytes', String(Math.floor(random() * 65536))],
      ['request_id', Math.floor(random() * 2 ** 52).toString(16).padStart(13, '0') + Math.floor(random() * 65536).toString(16)],
      ['remote_ip', `10.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}`],
    ])
  }
  return records
}

function toLogfmt(record) {
  return record.map(([k, v]) => (/[\s"=]/.test(v) ? `${k}="${v.replace(/"/g, '\\"')}"` : `${k}=${v}`)).join(' ')
}
const toLtsv = (record) => record.map(([k, v]) => `${k}:${v}`).join('\t')
const toJson = (record) => JSON.stringify(Object.fromEntries(record))

// Wall time and process CPU time (user + system, all threads) of each run; medians are reported.
// CPU time is steadier than wall time on a shared machine; both are printed.
function summarise(walls, cpus) {
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  return { median: median(walls), best: Math.min(...walls), cpu: median(cpus) }
}

function timeOnce(fn, walls, cpus) {
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  fn()
  walls.push(Number(process.hrtime.bigint() - t0) / 1e6)
  const c = process.cpuUsage(c0)
  cpus.push((c.user + c.system) / 1e3)
}

function measure(fn) {
  return measureInterleaved([fn])[0]
}

// Several contenders timed round by round (each round runs every one once, starting with a
// different one each round), so a neighbour's load on this shared machine, which comes and goes
// over seconds, falls on all of them alike instead of on whichever ran during it.
function measureInterleaved(fns) {
  for (const fn of fns) fn() // warm-up
  const walls = fns.map(() => [])
  const cpus = fns.map(() => [])
  for (let round = 0; round < RUNS; round++) {
    for (let k = 0; k < fns.length; k++) {
      const i = (round + k) % fns.length
      timeOnce(fns[i], walls[i], cpus[i])
    }
  }
  return fns.map((_, i) => summarise(walls[i], cpus[i]))
}

async function measureAsync(fn) {
  await fn()
  const walls = []
  const cpus = []
  for (let i = 0; i < RUNS; i++) {
    const c0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    await fn()
    walls.push(Number(process.hrtime.bigint() - t0) / 1e6)
    const c = process.cpuUsage(c0)
    cpus.push((c.user + c.system) / 1e3)
  }
  return summarise(walls, cpus)
}

const summary = {}
function report(key, what, ours, theirs, peerName, bytes) {
  const ratio = theirs.median / ours.median
  const cpuRatio = theirs.cpu / ours.cpu
  const rate = (m) => (bytes ? ` (${(bytes / 1e6 / (m.median / 1000)).toFixed(0)} MB/s)` : '')
  console.log(
    `${what}: srekit ${ours.median.toFixed(2)} ms${rate(ours)} | ${peerName} ${theirs.median.toFixed(2)} ms${rate(theirs)} | ` +
      `ratio ${ratio.toFixed(1)}x wall, ${cpuRatio.toFixed(1)}x CPU (srekit ${ours.cpu.toFixed(1)} ms CPU, ${peerName} ${theirs.cpu.toFixed(1)} ms CPU)`,
  )
  summary[key] = {
    srekit_ms: +ours.median.toFixed(3),
    peer: peerName,
    peer_ms: +theirs.median.toFixed(3),
    ratio: +ratio.toFixed(2),
    srekit_cpu_ms: +ours.cpu.toFixed(3),
    peer_cpu_ms: +theirs.cpu.toFixed(3),
    cpu_ratio: +cpuRatio.toFixed(2),
  }
  if (bytes) summary[key].bytes = bytes
}

function benchLogs(records) {
  if (typeof srekit.Parser !== 'function') {
    console.log('log parsing: not bound in this build (skipped)')
    return
  }
  const cases = [
    ['logfmt', toLogfmt, 'npm logfmt', (logfmt) => (line) => logfmt.parse(line), peer('logfmt')],
    ['ltsv', toLtsv, 'npm ltsv', (ltsv) => (line) => ltsv.parse(line), peer('ltsv')],
    ['json', toJson, 'JSON.parse', () => (line) => JSON.parse(line), null],
  ]
  for (const [format, render, peerName, makePeer, peerModule] of cases) {
    const lines = records.map(render)
    const text = lines.join('\n') + '\n'
    const buffer = Buffer.from(text)
    const parser = new srekit.Parser(format)
    const peerParse = makePeer(peerModule)
    const check = parser.parseMany(buffer)
    if (check.length !== lines.length) throw new Error(`${format}: parsed ${check.length} of ${lines.length} lines`)
    const [theirs, fromBuffer, fromString] = measureInterleaved([
      () => {
        const out = new Array(lines.length)
        for (let i = 0; i < lines.length; i++) out[i] = peerParse(lines[i])
        return out
      },
      () => parser.parseMany(buffer),
      () => parser.parseMany(text),
    ])
    console.log(`${format}: ${lines.length} lines, ${(buffer.length / lines.length).toFixed(0)} bytes/line on average`)
    report(`${format}_buffer`, `${format} parseMany(Buffer) vs ${peerName} per line`, fromBuffer, theirs, peerName, buffer.length)
    report(`${format}_string`, `${format} parseMany(string) vs ${peerName} per line`, fromString, theirs, peerName, buffer.length)
  }
}

// Logs to metrics: count requests by status and method and observe latency, from raw logfmt lines.
// srekit: LogRules.applyLines (parse and rules in Rust). Peer pipeline: npm logfmt per line + prom-client.
function benchRules(records) {
  const client = peer('prom-client')
  const lines = records.map(toLogfmt)
  const buffer = Buffer.from(lines.join('\n') + '\n')
  const rules = [
    { name: 'http_requests_total', help: 'Requests.', kind: 'counter', labels: ['status', 'method'] },
    { name: 'http_request_duration_seconds', help: 'Latency.', kind: 'histogram', value: 'duration_ms', scale: 0.001, buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 1] },
  ]
  const parser = new srekit.Parser('logfmt')
  const ours = measure(() => {
    const registry = new srekit.Registry()
    new srekit.LogRules(registry, rules).applyLines(parser, buffer)
    return registry
  })
  const logfmt = peer('logfmt')
  const theirs = measure(() => {
    const registry = new client.Registry()
    const requests = new client.Counter({ name: 'http_requests_total', help: 'Requests.', labelNames: ['status', 'method'], registers: [registry] })
    const latency = new client.Histogram({ name: 'http_request_duration_seconds', help: 'Latency.', buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 1], registers: [registry] })
    for (const line of lines) {
      const record = logfmt.parse(line)
      requests.labels(record.status, record.method).inc()
      const ms = Number(record.duration_ms)
      if (Number.isFinite(ms)) latency.observe(ms / 1000)
    }
    return registry
  })
  report('rules', 'logs -> metrics (count by status+method, latency histogram) vs npm logfmt + prom-client per line', ours, theirs, 'logfmt+prom-client', buffer.length)
}

async function benchEncode() {
  const client = peer('prom-client')
  const promRegistry = new client.Registry()
  const ours = new srekit.Registry()
  const promCounter = new client.Counter({ name: 'http_requests_total', help: 'Requests.', labelNames: ['method', 'route', 'status'], registers: [promRegistry] })
  const promGauge = new client.Gauge({ name: 'queue_depth', help: 'Depth.', labelNames: ['queue', 'shard'], registers: [promRegistry] })
  const ourCounter = ours.counter('http_requests_total', 'Requests.', ['method', 'route', 'status'])
  const ourGauge = ours.gauge('queue_depth', 'Depth.', ['queue', 'shard'])
  let series = 0
  for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) {
    for (let route = 0; route < 100; route++) {
      for (const status of ['200', '201', '204', '301', '304', '400', '401', '404', '500', '503']) {
        const value = (series * 7919) % 100000
        promCounter.labels(method, `/api/v1/r${route}`, status).inc(value)
        ourCounter.labels(method, `/api/v1/r${route}`, status).inc(value)
        series++
      }
    }
  }
  for (let queue = 0; queue < 100; queue++) {
    for (let shard = 0; shard < 50; shard++) {
      promGauge.labels(`q${queue}`, String(shard)).set(queue * shard + 0.5)
      ourGauge.labels(`q${queue}`, String(shard)).set(queue * shard + 0.5)
      series++
    }
  }
  const ourText = ours.encode()
  const promText = await promRegistry.metrics()
  const sampleLines = (text) => text.split('\n').filter((l) => l && !l.startsWith('#')).length
  if (sampleLines(ourText) !== series || sampleLines(promText) !== series) {
    throw new Error(`encode: expected ${series} samples, got ${sampleLines(ourText)} / ${sampleLines(promText)}`)
  }
  const theirs = await measureAsync(() => promRegistry.metrics())
  const mine = measure(() => ours.encode())
  console.log(`encode: ${series} labelled series, ${ourText.length} bytes`)
  report('encode_10k', `encode ${series} series vs prom-client register.metrics()`, mine, theirs, 'prom-client', 0)

  // hot path: labels(..).inc() on an existing child
  const OPS = 1000000
  const hotOurs = measure(() => {
    for (let i = 0; i < OPS; i++) ourCounter.labels('GET', '/api/v1/r7', '200').inc()
  })
  const hotTheirs = measure(() => {
    for (let i = 0; i < OPS; i++) promCounter.labels('GET', '/api/v1/r7', '200').inc()
  })
  const perOp = (m) => ((m.median * 1000) / OPS).toFixed(3)
  console.log(`labels(..).inc(): srekit ${perOp(hotOurs)} us | prom-client ${perOp(hotTheirs)} us | ratio ${(hotTheirs.median / hotOurs.median).toFixed(1)}x`)
  summary.labels_inc = { srekit_us: +perOp(hotOurs), peer: 'prom-client', peer_us: +perOp(hotTheirs), ratio: +(hotTheirs.median / hotOurs.median).toFixed(2) }
}

async function benchHost() {
  if (typeof srekit.collectHostAsync !== 'function') {
    console.log('host collection: not bound in this build (skipped)')
    return
  }
  const si = peer('systeminformation')
  const theirs = await measureAsync(() =>
    Promise.all([si.currentLoad(), si.mem(), si.fsSize(), si.disksIO(), si.networkStats('*')]),
  )
  const mine = await measureAsync(() => srekit.collectHostAsync())
  const families = await srekit.collectHostAsync()
  const samples = families.reduce((n, f) => n + f.samples.length, 0)
  console.log(`host: srekit collected ${families.length} families, ${samples} samples`)
  report('host', 'collectHostAsync() vs systeminformation (load, mem, fsSize, disksIO, networkStats)', mine, theirs, 'systeminformation', 0)
}

// Columnar output: logfmt parsed into Arrow IPC bytes and opened as an apache-arrow Table (budget 30x
// npm logfmt building one object per line).
function benchColumns(records) {
  if (typeof srekit.Parser !== 'function') return
  const { tableFromIPC } = peer('apache-arrow')
  const lines = records.map(toLogfmt)
  const buffer = Buffer.from(lines.join('\n') + '\n')
  const parser = new srekit.Parser('logfmt')
  const logfmt = peer('logfmt')
  const check = tableFromIPC(parser.parseColumns(buffer))
  if (check.numRows !== lines.length) throw new Error(`columns: ${check.numRows} of ${lines.length} rows`)
  const [theirs, ours] = measureInterleaved([
    () => {
      const out = new Array(lines.length)
      for (let i = 0; i < lines.length; i++) out[i] = logfmt.parse(lines[i])
      return out
    },
    () => tableFromIPC(parser.parseColumns(buffer)),
  ])
  report('logfmt_columns', 'logfmt parseColumns(Buffer) + tableFromIPC vs npm logfmt per line (budget 30x)', ours, theirs, 'npm logfmt', buffer.length)
}

// One timed run of one side in this process, for bench_node.sh's pinned runs (issue 22: parseMany
// >= 10x npm logfmt as the median of 7 interleaved runs on one CPU, both sides measured the same
// way): SREKIT_BENCH_SINGLE=srekit (parseMany of the whole logfmt buffer) or =logfmt (npm logfmt
// parse() per line, building the same array of objects). Both warm up once on the same data, then
// time one call; prints `single <side> <wall ms> <cpu ms>`.
function benchSingle(side, records) {
  const lines = records.map(toLogfmt)
  const buffer = Buffer.from(lines.join('\n') + '\n')
  let run
  if (side === 'srekit') {
    const parser = new srekit.Parser('logfmt')
    run = () => parser.parseMany(buffer)
  } else if (side === 'logfmt') {
    const logfmt = peer('logfmt')
    run = () => {
      const out = new Array(lines.length)
      for (let i = 0; i < lines.length; i++) out[i] = logfmt.parse(lines[i])
      return out
    }
  } else {
    throw new Error(`SREKIT_BENCH_SINGLE: expected srekit or logfmt, not ${side}`)
  }
  if (run().length !== lines.length) throw new Error(`${side}: wrong number of records`)
  const walls = []
  const cpus = []
  timeOnce(run, walls, cpus)
  console.log(`single ${side} ${walls[0].toFixed(3)} ${cpus[0].toFixed(3)}`)
}

// SREKIT_BENCH_ONLY=logs,columns,rules,encode,host picks sections (all by default). bench_node.sh
// runs the log sections a second time pinned to one CPU (taskset), where neither side gets a second
// core: not srekit's parsing thread, not V8's GC helpers.
async function main() {
  if (process.env.SREKIT_BENCH_SINGLE) {
    benchSingle(process.env.SREKIT_BENCH_SINGLE, makeRecords(LINES))
    return
  }
  const os = require('node:os')
  const only = new Set((process.env.SREKIT_BENCH_ONLY || 'logs,columns,rules,encode,host').split(','))
  const usable = os.availableParallelism()
  console.log(
    `node ${process.version}, ${os.cpus().length} CPUs (${usable} usable by this process), load average ` +
      `${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${LINES} lines, median of ${RUNS} runs`,
  )
  const records = makeRecords(LINES)
  if (only.has('logs')) benchLogs(records)
  if (only.has('columns')) benchColumns(records)
  if (only.has('rules') && typeof srekit.LogRules === 'function') benchRules(records)
  if (only.has('encode')) await benchEncode()
  if (only.has('host')) await benchHost()
  console.log('summary ' + JSON.stringify({ usable_cpus: usable, ...summary }))
}

if (require.main === module) {
  if (!peersDir) {
    console.error('SREKIT_BENCH_PEERS is not set: run benches/compare/bench_node.sh')
    process.exit(2)
  }
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
} else {
  module.exports = { makeRecords, toLogfmt, toLtsv, toJson }
}
