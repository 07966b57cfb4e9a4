// Test helpers shared with the Rust (support.rs) and Python (python/tests/helpers.py) suites: the one
// promtool policy (promtool-check beside this file says it) and the list of volatile metrics.
'use strict'
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

/** null when `text` passes the promtool policy, else promtool-check's report. promtool is required:
 * a missing promtool throws with the command that installs it. `host`: allow only the lint findings
 * node_exporter's own names draw too. */
function promtoolCheck (text, { host = false } = {}) {
  const args = host ? ['--host'] : []
  const done = spawnSync(path.join(__dirname, 'promtool-check'), args, { input: text, encoding: 'utf8' })
  const report = (done.stdout || '') + (done.stderr || '')
  if (done.status === 2 || done.error) throw new Error(report || String(done.error))
  return done.status === 0 ? null : report
}

/** The families whose values depend on the machine running the test. */
function volatileMetrics () {
  return fs.readFileSync(path.join(__dirname, 'volatile-metrics.txt'), 'utf8')
    .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
}

module.exports = { promtoolCheck, volatileMetrics }
