import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CappedText, isProcessGone, runCommand, waitFor } from '../../src/process.js'

const node = process.execPath

describe('runCommand', () => {
  it('captures stdout, stderr and the exit code', async () => {
    const r = await runCommand({
      file: node,
      args: ['-e', 'console.log("out"); console.error("err"); process.exit(3)'],
      cwd: process.cwd(),
      env: process.env,
      timeoutMs: 10_000
    })
    assert.equal(r.exitCode, 3)
    assert.equal(r.stdout, 'out\n')
    assert.equal(r.stderr, 'err\n')
    assert.equal(r.timedOut, false)
  })

  it('kills the whole process tree on timeout', async () => {
    // The child starts a grandchild that would otherwise run for a minute, prints its pid, then hangs.
    const script = `
      const { spawn } = require('node:child_process')
      const g = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' })
      console.log(g.pid)
      setInterval(() => {}, 1000)`
    const r = await runCommand({ file: node, args: ['-e', script], cwd: process.cwd(), env: process.env, timeoutMs: 1500 })
    assert.equal(r.timedOut, true)
    const grandchild = Number(r.stdout.trim())
    assert.ok(grandchild > 0)
    assert.ok(await waitFor(() => isProcessGone(grandchild), 5000), `grandchild ${grandchild} survived the timeout`)
  })

  it('reports a command that cannot start', async () => {
    const r = await runCommand({ file: '/nonexistent/ktx', args: [], cwd: process.cwd(), env: process.env, timeoutMs: 5000 })
    assert.match(r.spawnError ?? '', /ENOENT/)
    assert.equal(r.exitCode, null)
  })
})

describe('CappedText', () => {
  it('keeps head and tail of huge output with a marker', () => {
    const t = new CappedText(10)
    t.push('0123456789')
    t.push('abcdefghij')
    t.push('KLMNOPQRST')
    assert.equal(t.toString(), '0123456789\n[… 10 characters omitted …]\nKLMNOPQRST')
  })
})
