import assert from 'node:assert/strict'
import { afterEach, beforeEach, describe, it, mock } from 'node:test'
import { terminalLog } from '../../src/cli/terminal.js'
import { withoutColour } from '../../src/engine/checks.js'
import type { PhaseResult } from '../../src/engine/context.js'

/** A stream that records what is written; `isTTY` as a terminal or a pipe would say. */
function stream(isTTY: boolean): { out: NodeJS.WriteStream; text: () => string } {
  let written = ''
  const out = {
    isTTY,
    write: (chunk: string) => {
      written += chunk
      return true
    }
  } as unknown as NodeJS.WriteStream
  return { out, text: () => written }
}

const passed = (durationMs: number): PhaseResult =>
  ({ name: 'install', title: 'Clean install', status: 'passed', durationMs, commands: [] }) as unknown as PhaseResult

describe('ktx-smoke on a terminal', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'Date'], now: 0 }))
  afterEach(() => mock.timers.reset())

  it('redraws one live line with a turning spinner and the elapsed time, then the verdict in its place', () => {
    const { out, text } = stream(true)
    const log = terminalLog(out, false)
    log.startPhase('install', 'Clean install')
    for (let i = 0; i < 25; i++) mock.timers.tick(100)
    const live = text()
    // Every frame rewrites the same line: carriage return, clear line, spinner, phase, time.
    const frames = live.split('\r\x1b[2K').filter(Boolean).map(withoutColour)
    assert.equal(frames.length, 26)
    assert.match(frames[0], /^ {2}⠋ install +Clean install \(0 ms\)$/)
    assert.match(frames[1], /^ {2}⠙ install +Clean install \(100 ms\)$/)
    assert.match(frames[25], /^ {2}⠴ install +Clean install \(2\.5 s\)$/)
    assert.doesNotMatch(live, /\n/)

    log.endPhase(passed(2600))
    const end = text().slice(live.length)
    assert.equal(withoutColour(end), '\r  ✓ install          Clean install (2.6 s)\n')
    assert.ok(end.startsWith('\r\x1b[2K'), 'the verdict replaces the live line')
    // The spinner stopped with the phase; a heartbeat adds no line on a terminal.
    log.heartbeat('install', 30_000)
    mock.timers.tick(1000)
    assert.equal(text().length, live.length + end.length)
  })

  it('writes plain lines to a pipe: no spinner, a heartbeat line while a phase runs', () => {
    const { out, text } = stream(false)
    const log = terminalLog(out, false)
    log.startPhase('install', 'Clean install')
    mock.timers.tick(2500)
    assert.equal(text(), '')
    log.heartbeat('install', 150_000)
    // What the run waits for is shown without --verbose; its narration is not.
    log.info('cache: a local run')
    log.progress('registry: @kaelio/ktx@0.12.0 is served now, after 7 s and 3 tries')
    log.endPhase(passed(151_000))
    assert.equal(
      withoutColour(text()),
      '  … install: still running, 2 min 30 s\n    registry: @kaelio/ktx@0.12.0 is served now, after 7 s and 3 tries\n  ✓ install          Clean install (2 min 31 s)\n'
    )
  })
})
