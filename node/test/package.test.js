'use strict'
// Packs the package as npm would publish it, installs the tarball into a scratch project and uses it
// there by name: checks the `files` list and the `exports` map (`srekit`, `srekit/prom-client`).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

test('the packed tarball installs and loads by name', { timeout: 120000 }, () => {
  const packageDir = path.join(__dirname, '..')
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'srekit-pack-'))
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const quiet = { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' }
  const packed = JSON.parse(execFileSync(npm, ['pack', '--json', '--pack-destination', scratch], { ...quiet, cwd: packageDir }))
  const tarball = path.join(scratch, packed[0].filename)
  const files = packed[0].files.map((f) => f.path)
  for (const needed of ['index.js', 'index.d.ts', 'native.js', 'logs.js', 'records.js', 'metrics.js', 'prom-client.js', 'prom-client.d.ts']) {
    assert.ok(files.includes(needed), `${needed} is packed`)
  }
  assert.ok(files.some((f) => f.endsWith('.node')), 'the native addon is packed')
  assert.ok(!files.some((f) => f.startsWith('test/') || f.startsWith('node_modules/')))

  const project = path.join(scratch, 'app')
  fs.mkdirSync(project)
  fs.writeFileSync(path.join(project, 'package.json'), '{ "name": "app", "private": true }')
  execFileSync(npm, ['install', '--no-audit', '--no-fund', '--offline', tarball], { ...quiet, cwd: project })
  const script = `
    const srekit = require('srekit')
    const bridge = require('srekit/prom-client')
    const r = new srekit.Registry()
    r.counter('x_total', 'X.').inc()
    console.log(JSON.stringify({ text: r.encode(), bridge: Object.keys(bridge).sort(), rec: srekit.parseLogfmt('a=1') }))
  `
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { ...quiet, cwd: project }))
  assert.match(out.text, /^x_total 1$/m)
  assert.deepEqual(out.bridge, ['metricsWithHost', 'registerFamilies', 'registerHostMetrics'])
  assert.deepEqual(out.rec, { a: '1' })
})
