'use strict'
// Loads the native addon through the loader napi-rs generates (native.js), which tries a locally built
// `srekit.<platform>.node` first (a clone after `npm run build`), then the platform package
// `srekit-<platform>` (npm installs the one for this machine from `optionalDependencies`). When none
// loads, the error says which platform package this machine needs and how to get the addon, instead
// of the generated loader's generic message (whose `cause` keeps each attempt's own error).

/** Platforms with a published prebuilt package (see scripts/dist.sh). */
const PREBUILT = ['linux-x64-gnu']

/** napi-rs's name for this machine's platform: `linux-x64-gnu`, `linux-arm64-musl`, `darwin-arm64`, ... */
function platformTriple(proc = process) {
  const base = `${proc.platform}-${proc.arch}`
  if (proc.platform === 'win32') return `${base}-msvc`
  if (proc.platform !== 'linux') return base
  let glibc = true
  try {
    glibc = Boolean(proc.report.getReport().header.glibcVersionRuntime)
  } catch {
    // no process.report: assume glibc, as the generated loader does
  }
  return `${base}-${glibc ? 'gnu' : 'musl'}`
}

/** The message for a failed load on `triple` (exported for tests). */
function missingAddonMessage(triple) {
  const pkg = `srekit-${triple}`
  if (PREBUILT.includes(triple)) {
    return (
      `srekit: the native addon for ${triple} did not load: the platform package ${pkg} is missing ` +
      `or broken. npm installs it with srekit as an optional dependency; install it again without ` +
      `--omit=optional / --no-optional (npm install srekit ${pkg}).`
    )
  }
  return (
    `srekit: no prebuilt native addon for ${triple}: the platform package ${pkg} is not published ` +
    `(prebuilt: ${PREBUILT.map((t) => `srekit-${t}`).join(', ')}). Build the addon from source with ` +
    'Rust in a clone of srekit: cd node && npm ci && npm run build.'
  )
}

function loadNative() {
  try {
    return require('./native.js')
  } catch (err) {
    if (err && err.code === 'MODULE_NOT_FOUND' && /native\.js'/.test(err.message)) {
      const error = new Error(
        'srekit: native.js is missing: in a clone, build the addon first with `npm run build` (needs Rust); ' +
          'or install the published package (npm install srekit)',
      )
      error.cause = err
      throw error
    }
    const error = new Error(missingAddonMessage(platformTriple()))
    error.cause = err
    throw error
  }
}

module.exports = { loadNative, platformTriple, missingAddonMessage, PREBUILT }
