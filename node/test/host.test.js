'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawnSync } = require('node:child_process')
const srekit = require('..')
const { promtoolCheck } = require('../../tests/support/support.js')

function family(families, name) {
  return families.find((f) => f.name === name)
}

// A procfs tree with only the files the chosen collectors read, so values are known exactly.
function fakeProcfs(files) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srekit-procfs-'))
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content)
  return dir
}

test('collectors read from the configured procfs root', () => {
  const procfs = fakeProcfs({
    loadavg: '0.50 0.25 0.10 1/100 12345\n',
    meminfo: 'MemTotal:       16384 kB\nMemFree:         4096 kB\nHugePages_Total:       2\n',
  })
  const families = srekit.collectHost({ procfs, disableDefaults: true, enable: ['loadavg', 'meminfo'] })
  assert.deepEqual(family(families, 'node_load1').samples, [{ name: 'node_load1', labels: {}, value: 0.5, timestamp: null }])
  assert.equal(family(families, 'node_load15').samples[0].value, 0.1)
  assert.equal(family(families, 'node_load1').type, 'gauge')
  assert.equal(family(families, 'node_memory_MemTotal_bytes').samples[0].value, 16384 * 1024)
  assert.equal(family(families, 'node_memory_MemFree_bytes').samples[0].value, 4096 * 1024)
  assert.equal(family(families, 'node_memory_HugePages_Total').samples[0].value, 2)
  const success = family(families, 'node_scrape_collector_success').samples
  assert.deepEqual(
    success.map((s) => [s.labels.collector, s.value]).sort(),
    [['loadavg', 1], ['meminfo', 1]],
  )
})

test('a collector that cannot read its files reports success 0 and the others go on', () => {
  const procfs = fakeProcfs({ loadavg: '1.00 2.00 3.00 1/1 1\n' })
  const families = srekit.collectHost({ procfs, disableDefaults: true, enable: ['loadavg', 'meminfo'] })
  assert.equal(family(families, 'node_load5').samples[0].value, 2)
  const success = Object.fromEntries(family(families, 'node_scrape_collector_success').samples.map((s) => [s.labels.collector, s.value]))
  assert.deepEqual(success, { loadavg: 1, meminfo: 0 })
})

test('default collection on this host has node_exporter names and MemTotal from /proc/meminfo', () => {
  const families = srekit.collectHost()
  const cpu = family(families, 'node_cpu_seconds')
  assert.equal(cpu.type, 'counter')
  assert.ok(cpu.samples.every((s) => s.name === 'node_cpu_seconds_total' && 'cpu' in s.labels && 'mode' in s.labels))
  const memTotalKb = Number(/^MemTotal:\s+(\d+) kB$/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))[1])
  assert.equal(family(families, 'node_memory_MemTotal_bytes').samples[0].value, memTotalKb * 1024)
  const collectors = family(families, 'node_scrape_collector_success').samples.map((s) => s.labels.collector)
  assert.deepEqual(collectors.sort(), new srekit.HostCollector().collectors().sort())
  for (const f of families) for (const s of f.samples) assert.equal(typeof s.value, 'number', s.name)
})

test('collectHostAsync runs off the main thread: the main thread feeds a FIFO the collector is blocked on', { timeout: 30000 }, async () => {
  const procfs = fakeProcfs({})
  const fifo = path.join(procfs, 'loadavg')
  const made = spawnSync('mkfifo', [fifo])
  assert.equal(made.status, 0, 'mkfifo')
  const options = { procfs, disableDefaults: true, enable: ['loadavg'], collectorTimeoutMs: 10000 }
  const pending = srekit.collectHostAsync(options)
  // The collection cannot finish until this (main-thread) code writes the file it is reading.
  await fs.promises.writeFile(fifo, '4.00 5.00 6.00 1/1 1\n')
  const families = await pending
  assert.equal(family(families, 'node_load1').samples[0].value, 4)
  assert.equal(family(families, 'node_load15').samples[0].value, 6)
})

test('collectHostAsync gives the same families as collectHost', async () => {
  const names = (list) => list.map((f) => f.name).sort()
  const results = await Promise.all([1, 2, 3].map(() => srekit.collectHostAsync()))
  for (const r of results) assert.deepEqual(names(r), names(srekit.collectHost()))
})

test('collectHostAsync rejects on bad options', async () => {
  await assert.rejects(srekit.collectHostAsync({ enable: ['no_such_collector'] }), /unknown host collector "no_such_collector"/)
  for (const bad of [0, -5, NaN, Infinity, 1e300]) {
    assert.throws(() => new srekit.HostCollector({ collectorTimeoutMs: bad }), /collectorTimeoutMs must be a positive, finite number/)
  }
  assert.throws(() => new srekit.HostCollector({ collectorTimeoutMs: 'soon' }))
  for (const bad of [-1, 3600001, NaN, Infinity]) {
    assert.throws(() => new srekit.HostCollector({ absentRecheckMs: bad }), /absentRecheckMs must be a number of milliseconds from 0 to 3600000/)
  }
  assert.throws(() => new srekit.HostCollector({ absentRecheckMs: 'soon' }))
})

const MDSTAT = 'Personalities : [raid1]\nmd0 : active raid1 sdb1[1] sda1[0]\n      1048576 blocks super 1.2 [2/2] [UU]\n\nunused devices: <none>\n'

test('absentRecheckMs sets how long a path found absent stays absent', () => {
  const procfs = fakeProcfs({})
  const hasMd = (collector) => collector.collect().some((f) => f.name === 'node_md_disks')
  const everyTime = new srekit.HostCollector({ procfs, disableDefaults: true, enable: ['mdadm'], absentRecheckMs: 0 })
  const hourly = new srekit.HostCollector({ procfs, disableDefaults: true, enable: ['mdadm'], absentRecheckMs: 3600000 })
  assert.equal(hasMd(everyTime), false, 'no /proc/mdstat yet')
  assert.equal(hasMd(hourly), false, 'no /proc/mdstat yet')
  fs.writeFileSync(path.join(procfs, 'mdstat'), MDSTAT)
  assert.equal(hasMd(everyTime), true, 'probed again: the new mdstat is read')
  assert.equal(hasMd(hourly), false, 'within the hour the path is still taken as absent')
})

test('collectHostText is text 0.0.4 (or OpenMetrics) and promtool accepts it', async () => {
  const text = srekit.collectHostText()
  assert.match(text, /^# TYPE node_cpu_seconds_total counter$/m)
  assert.equal(promtoolCheck(text, { host: true }), null)
  const om = await srekit.collectHostTextAsync(undefined, 'openmetrics')
  assert.ok(om.endsWith('# EOF\n'))
  assert.match(om, /^# TYPE node_cpu_seconds counter$/m)
})

test('collector lists', () => {
  const all = srekit.allHostCollectors()
  for (const name of srekit.defaultHostCollectors()) assert.ok(all.includes(name), name)
  assert.ok(all.includes('cpu') && all.includes('meminfo'))
})

// The same golden comparison as core/tests/host_fixtures.rs, through the binding: the fixture tree
// collected with every root in it gives basic.expected.prom (machine-dependent values masked).
test('the fixture tree gives the golden output through the binding', async () => {
  const fixture = path.join(__dirname, '..', '..', 'tests', 'fixtures', 'host', 'basic')
  const golden = fs.readFileSync(path.join(fixture, '..', 'basic.expected.prom'), 'utf8')
  const options = {
    procfs: path.join(fixture, 'proc'),
    sysfs: path.join(fixture, 'sys'),
    rootfs: path.join(fixture, 'root'),
    udevData: path.join(fixture, 'udev'),
    textfileDirectory: path.join(fixture, 'textfile'),
    disable: ['time', 'timex', 'uname', 'systemd'],
  }
  const volatile = [
    'node_textfile_mtime_seconds',
    'node_filesystem_avail_bytes',
    'node_filesystem_free_bytes',
    'node_filesystem_size_bytes',
    'node_filesystem_files',
    'node_filesystem_files_free',
    'node_scrape_collector_duration_seconds',
  ]
  const mask = (text) =>
    text
      .split(fixture)
      .join('<fixture>')
      .split('\n')
      .map((line) => {
        const isVolatile = !line.startsWith('#') && volatile.some((v) => line.startsWith(v) && (line[v.length] === '{' || line[v.length] === ' '))
        return isVolatile ? line.slice(0, line.lastIndexOf(' ')) + ' <volatile>' : line
      })
      .join('\n')
  assert.equal(mask(srekit.collectHostText(options)), golden)
  assert.equal(mask(await srekit.collectHostTextAsync(options)), golden)
  // and the families view agrees with the text
  const families = srekit.collectHost(options)
  assert.equal(family(families, 'node_textfile_scrape_error').samples[0].value, 1)
})

// node_exporter's collector flags as options, on the fixture tree: each changes what it names.
test('filter and switch options reach the collectors (node_exporter flag semantics)', () => {
  const fixture = path.join(__dirname, '..', '..', 'tests', 'fixtures', 'host', 'basic')
  const roots = { procfs: path.join(fixture, 'proc'), sysfs: path.join(fixture, 'sys'), rootfs: path.join(fixture, 'root'), disableDefaults: true }
  const labelValues = (families, family, label) => {
    const found = families.find((f) => f.name === family)
    return found === undefined ? [] : [...new Set(found.samples.map((s) => s.labels[label]))].sort()
  }
  const netdev = (options) => labelValues(srekit.collectHost({ ...roots, enable: ['netdev'], ...options }), 'node_network_receive_bytes', 'device')
  assert.ok(!netdev({}).includes('lo'), 'lo is dropped by default')
  assert.ok(netdev({ netdevDeviceExclude: '' }).includes('lo'), "'' drops nothing, as in node_exporter")
  assert.deepEqual(netdev({ netdevDeviceInclude: '^eth0$' }), ['eth0'])
  const disks = (options) => labelValues(srekit.collectHost({ ...roots, enable: ['diskstats'], ...options }), 'node_disk_reads_completed', 'device')
  assert.ok(disks({ diskstatsDeviceExclude: '' }).length > disks({}).length, 'partitions come back')
  const rapl = (options) => srekit.collectHost({ ...roots, enable: ['rapl'], ...options }).map((f) => f.name)
  assert.ok(rapl({}).includes('node_rapl_package_joules'))
  assert.ok(rapl({ raplZoneLabel: true }).includes('node_rapl_joules'))
  const vmstat = (options) => srekit.collectHost({ ...roots, enable: ['vmstat'], ...options }).filter((f) => f.name.startsWith('node_vmstat_')).length
  assert.ok(vmstat({ vmstatFields: '.*' }) > vmstat({}))
  assert.throws(() => new srekit.HostCollector({ netdevDeviceExclude: '(' }), /invalid regex for netdev_device_exclude/)
})

// The keys of `interface HostOptions` in index.d.ts with their types, e.g. { cpuGuest: 'boolean' }.
function declaredHostOptions() {
  const text = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const body = /^export interface HostOptions \{([\s\S]*?)^\}/m.exec(text)[1]
  return Object.fromEntries([...body.matchAll(/^ {2}(\w+)\?: ([\w[\]]+)$/gm)].map((m) => [m[1], m[2]]))
}

test('index.d.ts declares every host option of the core table with its type', () => {
  const options = srekit.hostOptions()
  assert.ok(options.length >= 19)
  const declared = declaredHostOptions()
  for (const option of options) {
    assert.equal(declared[option.name], option.type, `HostOptions.${option.name}`)
    assert.match(option.flag, /^collector\./)
  }
  const others = ['procfs', 'sysfs', 'rootfs', 'udevData', 'textfileDirectory', 'collectorTimeoutMs', 'absentRecheckMs', 'disableDefaults', 'enable', 'disable']
  assert.deepEqual(Object.keys(declared).sort(), [...others, ...options.map((o) => o.name)].sort())
})

test('every host option of the table is accepted with its type and refused with the other', () => {
  for (const option of srekit.hostOptions()) {
    const good = { string: '^x$', number: 1024 }[option.type] ?? !option.default
    const collector = new srekit.HostCollector({ disableDefaults: true, enable: ['loadavg'], [option.name]: good })
    assert.deepEqual(collector.collectors(), ['loadavg'])
    const bad = option.type === 'string' ? true : '^x$'
    assert.throws(() => new srekit.HostCollector({ disableDefaults: true, enable: ['loadavg'], [option.name]: bad }), new RegExp(`host option ${option.name}\\b`))
  }
  assert.throws(() => srekit.collectHost({ disableDefaults: true, enable: ['loadavg'], noSuchOption: 1 }), /unknown host option "noSuchOption"/)
  // undefined and null keep the default
  assert.deepEqual(new srekit.HostCollector({ disableDefaults: true, enable: ['loadavg'], cpuGuest: undefined, netdevDeviceExclude: null }).collectors(), ['loadavg'])
})

test('collectHost reuses one collector per distinct options', () => {
  const options = { disableDefaults: true, enable: ['loadavg'], cpuGuest: false }
  const first = srekit.collectHost(options)
  const again = srekit.collectHost({ ...options })
  assert.deepEqual(first.map((f) => f.name), again.map((f) => f.name))
  assert.ok(srekit.collectHostText({ disableDefaults: true, enable: ['uname'] }).includes('node_uname_info'))
})
