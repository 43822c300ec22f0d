import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { CappedText, isProcessGone, runCommand, waitFor } from '../../src/host/command.js'

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

describe('output capture at scale', () => {
  it('keeps head and tail across uneven chunks, with the exact count of what it left out', () => {
    const t = new CappedText(8)
    const chunks = ['abc', 'defgh', 'ij', 'klmnopqrstu', 'v', 'wxyz0123456789']
    for (const c of chunks) t.push(c)
    const all = chunks.join('')
    assert.equal(t.toString(), `${all.slice(0, 8)}\n[… ${all.length - 16} characters omitted …]\n${all.slice(-8)}`)
  })

  it('reads 200 MB of output, keeping only the capped head and tail (how fast: npm run bench, "capture")', async () => {
    const size = 200 * 1024 * 1024
    const writer = `const b = Buffer.alloc(65536, 'y'); let left = ${size}; (function w() { while (left > 0) { left -= b.length; if (!process.stdout.write(b)) return process.stdout.once('drain', w) } })()`
    const r = await runCommand({ file: node, args: ['-e', writer], cwd: process.cwd(), env: process.env, timeoutMs: 300_000 })
    assert.equal(r.exitCode, 0)
    assert.ok(r.stdout.length < 9 * 1024 * 1024, `capture holds ${r.stdout.length} characters`)
    const cap = 4 * 1024 * 1024
    const marker = `\n[… ${size - 2 * cap} characters omitted …]\n`
    assert.equal(r.stdout.length, 2 * cap + marker.length)
    assert.equal(r.stdout.slice(cap, cap + marker.length), marker)
    assert.ok(/^y+$/.test(r.stdout.slice(0, cap)) && /^y+$/.test(r.stdout.slice(-cap)), 'the head and the tail are the output')
  })

  it('never signals a pid again once its command has exited (the SIGKILL escalation is cleared)', async () => {
    // The command answers the timeout's SIGTERM by exiting soon after, well before the SIGKILL would
    // come. A shell, which has its trap set a few milliseconds after it starts, however busy the
    // machine: a Node script may not yet have its handler when the 300 ms run out.
    const script = 'trap "sleep 0.1; exit 0" TERM; echo $$; while :; do sleep 0.05; done'
    const signalled: [number, string | number | undefined, number][] = []
    const kill = process.kill
    process.kill = ((pid: number, signal?: string | number) => {
      signalled.push([Math.abs(pid), signal, Date.now()])
      return kill.call(process, pid, signal)
    }) as typeof process.kill
    try {
      const r = await runCommand({ file: '/bin/sh', args: ['-c', script], cwd: process.cwd(), env: process.env, timeoutMs: 300 })
      const ended = Date.now()
      assert.equal(r.timedOut, true)
      const pid = Number(r.stdout.trim())
      await new Promise(resolve => setTimeout(resolve, 2500))
      assert.ok(
        signalled.some(([p, s]) => p === pid && s === 'SIGTERM'),
        'the timeout sent SIGTERM'
      )
      assert.deepEqual(
        signalled.filter(([p, , at]) => p === pid && at > ended),
        [],
        'a signal went to the pid after its command had exited'
      )
    } finally {
      process.kill = kill
    }
  })
})
