'use strict'
// index.d.ts is written by hand: every runtime export must be declared there, and every declared
// function or class must exist at runtime.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const srekit = require('..')
const bridge = require('../prom-client.js')

function declared(file) {
  const text = fs.readFileSync(path.join(__dirname, '..', file), 'utf8')
  return new Set([...text.matchAll(/^export declare (?:function|class) (\w+)/gm)].map((m) => m[1]))
}

test('index.d.ts declares exactly the runtime exports', () => {
  assert.deepEqual([...declared('index.d.ts')].sort(), Object.keys(srekit).sort())
})

test('prom-client.d.ts declares exactly the bridge exports', () => {
  assert.deepEqual([...declared('prom-client.d.ts')].sort(), Object.keys(bridge).sort())
})

test('declared class methods exist on the prototypes', () => {
  const text = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  for (const [, name, body] of text.matchAll(/^export declare class (\w+) \{([\s\S]*?)^\}/gm)) {
    for (const [, method] of body.matchAll(/^ {2}(\w+)\(/gm)) {
      if (method === 'constructor') continue
      assert.equal(typeof srekit[name].prototype[method], 'function', `${name}.${method}`)
    }
  }
})

test('TypeScript usage type-checks against the declarations (tsc --strict)', () => {
  const { spawnSync } = require('node:child_process')
  const tsc = path.join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc')
  const result = spawnSync(
    process.execPath,
    [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'commonjs', '--types', 'node', path.join(__dirname, 'typescript', 'usage.ts')],
    { encoding: 'utf8' },
  )
  assert.equal(result.status, 0, result.stdout + result.stderr)
})
