import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { exitsWith, exitsWithOneOf, jsonStdout, lineMatches, parseCheckLines, plainLine, stderrEmpty, stderrOnly, verify } from '../../src/engine/checks.js'
import { ADMIN, RUNTIME } from '../../src/ktx/generations.js'
import { EMBEDDING_DIMENSIONS, embeddingProblem } from '../../src/ktx/phases/embeddings.js'
import type { CommandResult } from '../../src/host/command.js'

const result = (over: Partial<CommandResult> = {}): CommandResult => ({
  display: 'ktx x',
  exitCode: 0,
  signal: null,
  stdout: '',
  stderr: '',
  durationMs: 5,
  timedOut: false,
  ...over
})

describe('checks', () => {
  it('an exit code among the accepted ones holds; another, a kill or a timeout does not', () => {
    const either = exitsWithOneOf([0, 1])
    assert.equal(either(result({ exitCode: 1 })), undefined)
    assert.equal(either(result({ exitCode: 2 })), 'expected exit code 0 or 1, but it exited with 2')
    assert.equal(either(result({ exitCode: null, signal: 'SIGKILL' })), 'expected exit code 0 or 1, but it was killed by SIGKILL')
    assert.match(either(result({ exitCode: null, timedOut: true, durationMs: 3000 })) ?? '', /^timed out after 3 s/)
    assert.equal(exitsWith(0)(result({ exitCode: 1 })), 'expected exit code 0, but it exited with 1')
  })

  it("stderr may hold the lines it is told to allow, and nothing of the CLI's own", () => {
    const npmOnly = stderrOnly(/^npm (warn|WARN|notice) /)
    const npx = 'npm warn deprecated inflight@1.0.6: This module is not supported\nnpm warn deprecated glob@7.2.3: Glob versions prior to v9\n'
    assert.equal(npmOnly(result({ stderr: npx })), undefined)
    assert.equal(
      npmOnly(result({ stderr: `${npx}ktx collects anonymous usage data.\n` })),
      'expected no other output on stderr, but it printed: "ktx collects anonymous usage data."'
    )
  })

  it('strips spinner glyphs and colour codes, not the text', () => {
    assert.equal(plainLine('◐  Installing ktx Python runtime (core) with uv...'), 'Installing ktx Python runtime (core) with uv...')
    assert.equal(plainLine('\x1b[32m◇\x1b[39m  ktx Python runtime ready: /r/0.12.0'), 'ktx Python runtime ready: /r/0.12.0')
    assert.equal(plainLine('{"kind": "ready"}'), '{"kind": "ready"}')
    assert.equal(plainLine('/tmp/x'), '/tmp/x')
  })

  it('exitsWith reports the code, a kill and a timeout', () => {
    assert.equal(exitsWith(0)(result()), undefined)
    assert.equal(exitsWith(0)(result({ exitCode: 1 })), 'expected exit code 0, but it exited with 1')
    assert.match(exitsWith(0)(result({ exitCode: null, signal: 'SIGKILL' }))!, /killed by SIGKILL/)
    assert.match(exitsWith(0)(result({ timedOut: true, durationMs: 3000, exitCode: null })) ?? '', /timed out after 3 s/)
    assert.match(exitsWith(0)(result({ spawnError: 'ENOENT' })) ?? '', /could not be started: ENOENT/)
  })

  it('stderr must be empty unless a line is expected', () => {
    assert.equal(stderrEmpty()(result({ stderr: '\n' })), undefined)
    assert.match(stderrEmpty()(result({ stderr: 'Project: /p\n' }))!, /"Project: \/p"/)
    const lazy = stderrOnly(ADMIN.messages.installing, ADMIN.messages.ready)
    const ok = '◐  Installing ktx Python runtime (core) with uv...\n◇  ktx Python runtime ready: /r/0.12.0\n'
    assert.equal(lazy(result({ stderr: ok })), undefined)
    assert.match(lazy(result({ stderr: `${ok}ktx collects anonymous usage data.\n` }))!, /no other output on stderr.*anonymous usage/)
  })

  it('messages differ by generation and release', () => {
    assert.ok(ADMIN.messages.installing.test('Installing KTX Python runtime (core) with uv...'))
    assert.ok(ADMIN.messages.started.test('Started ktx daemon'))
    assert.ok(ADMIN.messages.started.test('Started KTX daemon'))
    assert.ok(!ADMIN.messages.started.test('Started KTX Python daemon'))
    assert.ok(RUNTIME.messages.started.test('Started KTX Python daemon'))
    assert.ok(!RUNTIME.messages.ready.test('ktx Python runtime ready: /x'))
    assert.equal(ADMIN.statusExitCode('missing'), 1)
    assert.equal(ADMIN.statusExitCode('ready'), 0)
    assert.equal(RUNTIME.statusExitCode('missing'), 0)
  })

  it('lineMatches and jsonStdout say what was expected', () => {
    assert.match(lineMatches('stdout', /^pid: \d+$/, 'a pid line')(result({ stdout: 'url: x' }))!, /expected a pid line on stdout/)
    const check = jsonStdout<{ kind: string }>(v => (v.kind === 'ready' ? undefined : `kind ${v.kind}`))
    assert.equal(check(result({ stdout: '{"kind":"ready"}' })), undefined)
    assert.equal(check(result({ stdout: '{"kind":"broken"}' })), 'kind broken')
    assert.match(check(result({ stdout: 'error: unknown command' }))!, /expected JSON on stdout, but it printed "error: unknown command"/)
  })

  it('verify throws the first failing check with the result attached', () => {
    const r = result({ exitCode: 1, stderr: 'boom' })
    assert.throws(
      () => verify(r, [exitsWith(0), stderrEmpty()]),
      (e: Error & { result?: CommandResult }) => e.message === 'expected exit code 0, but it exited with 1' && e.result === r
    )
  })

  it('parses the three check lines with their fixes', () => {
    const text = [
      'ktx Python runtime checks',
      'PASS uv: uv 0.11.21',
      'FAIL Bundled Python wheel: /a/b.whl is missing',
      '     Fix: Reinstall @kaelio/ktx',
      'PASS Managed Python runtime: Runtime ready at /r'
    ].join('\n')
    assert.deepEqual(parseCheckLines(text), [
      { status: 'PASS', label: 'uv', detail: 'uv 0.11.21' },
      { status: 'FAIL', label: 'Bundled Python wheel', detail: '/a/b.whl is missing', fix: 'Reinstall @kaelio/ktx' },
      { status: 'PASS', label: 'Managed Python runtime', detail: 'Runtime ready at /r' }
    ])
  })
})

describe('embedding answers', () => {
  it('judges an embedding: exactly 384 finite numbers', () => {
    assert.equal(EMBEDDING_DIMENSIONS, 384)
    assert.equal(embeddingProblem(Array.from({ length: 384 }, (_, i) => i / 384)), undefined)
    assert.equal(embeddingProblem(Array.from({ length: 383 }, () => 0.1)), 'expected 384 numbers, got 383')
    assert.equal(embeddingProblem([...Array.from({ length: 383 }, () => 0.1), Number.NaN]), 'it holds values that are not finite numbers')
    assert.match(embeddingProblem(undefined) ?? '', /expected an array of 384 numbers/)
  })
})
