import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ExpectationError, SetupError } from '../../src/engine/checks.js'
import { parseInputs } from '../../src/engine/parse-inputs.js'
import { newContext, type PhaseName, type SmokeLog } from '../../src/engine/context.js'
import { runPhases } from '../../src/engine/runner.js'
import type { Phase } from '../../src/engine/scope.js'

const quiet: SmokeLog = {
  startPhase() {},
  info() {},
  warning() {},
  commandStarted() {},
  output() {},
  commandFinished() {},
  heartbeat() {},
  progress() {},
  endPhase() {}
}

const context = () =>
  newContext(
    parseInputs(n => (n === 'tarball' ? 'x.tgz' : '')),
    quiet,
    () => {},
    process.cwd(),
    { event: {} }
  )

const phase = (name: string, run: Phase['run']): Phase => ({ name: name as PhaseName, title: name, run })

describe('the phase runner says whose fault a red run is', () => {
  for (const [what, thrown, verdict, message] of [
    ['an unmet expectation is the release failing', new ExpectationError('expected ready'), 'failed', /^Phase b failed: expected ready$/],
    ["the caller's input or the host is an error", new SetupError('pnpm is not on PATH'), 'error', /^Phase b could not run: pnpm is not on PATH$/],
    [
      "the action's own exception is an error too",
      new TypeError('x is undefined'),
      'error',
      /^Phase b could not run: internal error of ktx-smoke-action \(please report it\): TypeError: x is undefined/
    ]
  ] as const) {
    it(what, async () => {
      const result = await runPhases(context(), [
        phase('a', async () => {}),
        phase('b', async () => {
          throw thrown
        }),
        phase('c', async () => {})
      ])
      assert.equal(result.result, verdict)
      assert.equal(result.failedPhase, 'b')
      assert.match(result.failure ?? '', message)
      assert.deepEqual(
        result.phases.map(p => p.status),
        ['passed', verdict, 'skipped']
      )
    })
  }

  it('a cancellation ends the running phase at once, marks it cancelled and skips the rest', async () => {
    const ctx = context()
    let stuck = false
    const running = runPhases(ctx, [
      phase('a', async () => {
        stuck = true
        await new Promise(() => {})
      }),
      phase('b', async () => {})
    ])
    while (!stuck) await new Promise(resolve => setImmediate(resolve))
    ctx.cancellation.cancel('SIGTERM')
    const result = await running
    assert.equal(result.result, 'cancelled')
    assert.equal(result.failedPhase, 'a')
    assert.match(result.failure ?? '', /^Phase a was cancelled: cancelled by SIGTERM/)
    assert.deepEqual(
      result.phases.map(p => `${p.status}${p.message && p.status === 'skipped' ? ` (${p.message})` : ''}`),
      ['cancelled', 'skipped (skipped: a was cancelled)']
    )
  })
})
