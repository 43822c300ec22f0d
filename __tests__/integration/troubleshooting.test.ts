// docs/troubleshooting.md shows each failure as the action prints it: every case of
// scripts/lib/troubleshooting.ts is run here (dist/main and dist/post on the fixture, with its fault
// or bad input) and what its log shows must be the block there, word for word. `npm run docs`
// rewrites the blocks from the same runs. A broken release's run is also checked whole, as the other
// files check theirs: its summary, JUnit report and phases agree, and nothing is left behind.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { shownIn } from '../../scripts/docs.js'
import { CASES, runCase, shownFailure } from '../../scripts/lib/troubleshooting.js'
import { assertFailed, housekeeping } from './helpers.js'

housekeeping()

const troubleshooting = readFileSync(new URL('../../docs/troubleshooting.md', import.meta.url), 'utf8')

describe('docs/troubleshooting.md is what the runs print', () => {
  for (const c of CASES) {
    it(c.id, async () => {
      const documented = shownIn(troubleshooting, c.id)
      assert.ok(documented !== undefined, `docs/troubleshooting.md has no <!-- run: ${c.id} --> block`)
      const run = await runCase(c)
      assert.equal(shownFailure(run), documented, `docs/troubleshooting.md's block for ${c.id} is not what the run prints: run npm run docs`)
      if (run.outputs.result === 'failed') assertFailed(run, run.outputs['failed-phase'], /::error::/)
    })
  }
})
