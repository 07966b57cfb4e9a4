'use strict'
// The loader's platform names and its error when no addon loads (platform.js). The installed-package
// cases (a faked arm64, --omit=optional) run on the packed tarballs in scripts/test-dist.sh.
const test = require('node:test')
const assert = require('node:assert/strict')
const { platformTriple, missingAddonMessage, PREBUILT } = require('../platform.js')

const fakeProcess = (platform, arch, glibcVersionRuntime) => ({
  platform,
  arch,
  report: { getReport: () => ({ header: glibcVersionRuntime ? { glibcVersionRuntime } : {} }) },
})

test('platformTriple uses napi-rs names', () => {
  assert.equal(platformTriple(fakeProcess('linux', 'x64', '2.36')), 'linux-x64-gnu')
  assert.equal(platformTriple(fakeProcess('linux', 'arm64')), 'linux-arm64-musl')
  assert.equal(platformTriple(fakeProcess('darwin', 'arm64')), 'darwin-arm64')
  assert.equal(platformTriple(fakeProcess('win32', 'x64')), 'win32-x64-msvc')
  assert.ok(platformTriple().startsWith(`${process.platform}-${process.arch}`))
})

test('a platform without a prebuilt package: the message names it and says how to build', () => {
  const message = missingAddonMessage('darwin-arm64')
  assert.match(message, /no prebuilt native addon for darwin-arm64/)
  assert.match(message, /srekit-darwin-arm64 is not published/)
  assert.match(message, /npm run build/)
})

test('a prebuilt platform whose package is missing: reinstall with optional dependencies', () => {
  assert.deepEqual(PREBUILT, ['linux-x64-gnu'])
  const message = missingAddonMessage('linux-x64-gnu')
  assert.match(message, /the platform package srekit-linux-x64-gnu is missing/)
  assert.match(message, /--omit=optional/)
})
