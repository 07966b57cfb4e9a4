'use strict'
// srekit for Node: the native addon (loaded by the napi-rs generated loader `native.js`) plus small
// JavaScript helpers around it. Logic lives in the Rust core; this file only re-exports and adapts.

const native = require('./native.js')

module.exports = {
  isValidMetricName: native.isValidMetricName,
  isValidLabelName: native.isValidLabelName,
  sanitizeMetricName: native.sanitizeMetricName,
  sanitizeLabelName: native.sanitizeLabelName,
}
