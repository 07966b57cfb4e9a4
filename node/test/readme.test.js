'use strict'
// Every ```js block of the READMEs runs as pasted (issue 21 §1; rules in tests/readme/README.md).
// Each block is written to an empty temporary directory holding only the files of tests/readme/files
// it names and run with this node, `require('srekit')` resolving to this package (and prom-client to
// its dev dependency) through NODE_PATH; it must exit 0 with its `<!-- readme-test: expect ... -->`
// texts in its output. A `serve PATH` block gets a free port in $PORT and must answer PATH with the
// text. A `skip` block is reported as skipped with its reason.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')
const { spawn } = require('node:child_process')

const REPO = path.join(__dirname, '..', '..')
const FILES = path.join(REPO, 'tests', 'readme', 'files')
const DIRECTIVE = /^<!-- readme-test: (.*) -->$/

function readmes () {
  const found = ['README.md', 'python/README.md', 'node/README.md'].map((p) => path.join(REPO, p))
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name === 'README.md') found.push(full)
    }
  }
  walk(path.join(REPO, 'examples'))
  return found
}

function blocks (lang) {
  const found = []
  for (const file of readmes()) {
    const lines = fs.readFileSync(file, 'utf8').split('\n')
    for (let at = 0; at < lines.length; at++) {
      if (!lines[at].startsWith('```')) continue
      let end = at + 1
      while (!lines[end].startsWith('```')) end++
      const directives = []
      for (let above = at - 1; above >= 0 && DIRECTIVE.test(lines[above]); above--) {
        directives.push(DIRECTIVE.exec(lines[above])[1])
      }
      if (lines[at].slice(3).trim() === lang) {
        found.push({ place: `${path.relative(REPO, file)}:${at + 1}`, text: lines.slice(at + 1, end).join('\n') + '\n', directives })
      }
      at = end
    }
  }
  return found
}

function freePort () {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

function get (port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => (body += chunk))
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    req.setTimeout(10000, () => req.destroy(new Error('timeout')))
  })
}

// A directory with the block, the files it names, and a `srekit` module pointing at this package.
function workdir (block) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'srekit-readme-'))
  for (const name of fs.readdirSync(FILES)) {
    if (block.text.includes(name)) fs.copyFileSync(path.join(FILES, name), path.join(dir, name))
  }
  const modules = fs.mkdtempSync(path.join(os.tmpdir(), 'srekit-readme-modules-'))
  fs.symlinkSync(path.join(__dirname, '..'), path.join(modules, 'srekit'), 'dir')
  fs.writeFileSync(path.join(dir, 'block.js'), block.text)
  const env = { ...process.env, NODE_PATH: [modules, path.join(__dirname, '..', 'node_modules')].join(path.delimiter) }
  return { dir, env, cleanup: () => { fs.rmSync(dir, { recursive: true, force: true }); fs.rmSync(modules, { recursive: true, force: true }) } }
}

for (const block of blocks('js')) {
  const skip = block.directives.find((d) => d.startsWith('skip '))
  const expect = block.directives.filter((d) => d.startsWith('expect ')).map((d) => d.slice('expect '.length))
  const serve = block.directives.find((d) => d.startsWith('serve '))
  test(`${block.place} runs as pasted`, { skip: skip ? skip.slice('skip '.length) : false, timeout: 120000 }, async () => {
    assert.ok(expect.length > 0 || serve, 'a js block needs `<!-- readme-test: expect ... -->` or a skip reason')
    const { dir, env, cleanup } = workdir(block)
    try {
      if (!serve) {
        const child = spawn(process.execPath, ['block.js'], { cwd: dir, env })
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (chunk) => (stdout += chunk))
        child.stderr.on('data', (chunk) => (stderr += chunk))
        const code = await new Promise((resolve) => child.on('close', resolve))
        assert.equal(code, 0, stderr)
        for (const wanted of expect) assert.ok(stdout.includes(wanted), `${JSON.stringify(wanted)} not in:\n${stdout}`)
        return
      }
      const [urlPath, wanted] = serve.slice('serve '.length).split(' expect ')
      const port = await freePort()
      const child = spawn(process.execPath, ['block.js'], { cwd: dir, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (chunk) => (stderr += chunk))
      let exited = null
      child.on('exit', (code) => (exited = code))
      try {
        const deadline = Date.now() + 30000
        let body = null
        while (body === null) {
          assert.equal(exited, null, `the server exited: ${stderr}`)
          try {
            body = await get(port, urlPath)
          } catch (err) {
            assert.ok(Date.now() < deadline, `the server did not answer within 30 s: ${err.message}`)
            await new Promise((resolve) => setTimeout(resolve, 100))
          }
        }
        assert.ok(body.includes(wanted), `${JSON.stringify(wanted)} not in:\n${body}`)
      } finally {
        child.kill()
      }
    } finally {
      cleanup()
    }
  })
}
