// README → Troubleshooting shows each failure as the action prints it: every case of
// scripts/lib/troubleshooting.ts is run here (dist/main and dist/post on the fixture, with its fault
// or bad input) and what its log shows must be README's block for it, word for word. `npm run docs`
// rewrites the blocks from the same runs. A broken release's run is also checked whole, as the other
// files check theirs: its summary, JUnit report and phases agree, and nothing is left behind.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { shownInReadme } from '../../scripts/docs.js'
import { CASES, runCase, shownFailure } from '../../scripts/lib/troubleshooting.js'
import { assertFailed, housekeeping } from './helpers.js'

housekeeping()

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

describe('README → Troubleshooting is what the runs print', () => {
  for (const c of CASES) {
    it(c.id, async () => {
      const documented = shownInReadme(readme, c.id)
      assert.ok(documented !== undefined, `README.md has no <!-- run: ${c.id} --> block`)
      const run = await runCase(c)
      assert.equal(shownFailure(run), documented, `README.md's block for ${c.id} is not what the run prints: run npm run docs`)
      if (run.outputs.result === 'failed') assertFailed(run, run.outputs['failed-phase'], /::error::/)
    })
  }
})
