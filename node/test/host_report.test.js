// The shared host report vectors (tests/vectors/host/report.json, also run by the Rust and Python
// tests): `HostCollector.collectReport()` names the same failed collectors, the same no-data subset
// (an absent optional subsystem), the same warnings and families as the core.
'use strict'

const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const srekit = require('..')

const vectors = path.join(__dirname, '..', '..', 'tests', 'vectors', 'host', 'report.json')
const CASES = JSON.parse(fs.readFileSync(vectors, 'utf8')).cases

function root(kind, host, scratch) {
  if (kind === 'host') return host
  assert.equal(kind, 'empty')
  const dir = path.join(scratch, host.replace(/^\//, ''))
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

function checkReport(report, vector) {
  assert.deepEqual(Object.keys(report.failures).sort(), vector.failed)
  for (const reason of Object.values(report.failures)) assert.ok(typeof reason === 'string' && reason)
  assert.deepEqual([...report.noData].sort(), vector.no_data)
  for (const name of report.noData) assert.ok(name in report.failures)
  assert.equal(report.warnings.length, vector.warnings.length, report.warnings.join('\n'))
  vector.warnings.forEach((part, index) => assert.ok(report.warnings[index].includes(part)))
  const names = new Set(report.families.map((family) => family.name))
  for (const family of vector.families) assert.ok(names.has(family), family)
}

test('the vectors have cases', () => {
  assert.ok(CASES.length >= 3)
})

for (const vector of CASES) {
  test(`host report vector ${vector.case}, sync and async`, async () => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'srekit-host-report-'))
    try {
      const options = {
        disableDefaults: true,
        enable: vector.collectors,
        procfs: root(vector.procfs, '/proc', scratch),
        sysfs: root(vector.sysfs, '/sys', scratch),
      }
      if (vector.textfiles) {
        options.textfileDirectory = path.join(scratch, 'textfiles')
        fs.mkdirSync(options.textfileDirectory)
        for (const [name, text] of Object.entries(vector.textfiles)) {
          fs.writeFileSync(path.join(options.textfileDirectory, name), text)
        }
      }
      const collector = new srekit.HostCollector(options)
      checkReport(collector.collectReport(), vector)
      checkReport(await collector.collectReportAsync(), vector)
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true })
    }
  })
}
