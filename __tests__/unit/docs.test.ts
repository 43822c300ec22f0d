import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { withRuns, withTables } from '../../scripts/docs.js'
import { CASES } from '../../scripts/lib/troubleshooting.js'
import { parse } from 'yaml'
import { SUMMARIZE_OUTPUTS } from '../../src/action/summarize.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const actionYml = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')
const summarizeYml = readFileSync(new URL('../../summarize/action.yml', import.meta.url), 'utf8')
const troubleshooting = readFileSync(new URL('../../docs/troubleshooting.md', import.meta.url), 'utf8')

describe('README and action.yml', () => {
  it('README inputs and outputs tables are the ones action.yml and summarize/action.yml generate (npm run docs)', () => {
    assert.equal(withTables(readme, actionYml), readme)
    assert.equal(withTables(readme, summarizeYml, 'summarize-', 'summarize/action.yml'), readme)
  })

  it('summarize/action.yml declares the outputs the summarize step sets, and no others', () => {
    assert.deepEqual(Object.keys((parse(summarizeYml) as { outputs: object }).outputs), [...SUMMARIZE_OUTPUTS])
  })

  it('a changed description, default or new output shows up as a difference', () => {
    const changed = actionYml
      .replace('default: npm', 'default: pnpm')
      .replace('  cache-key:\n', '  cache-size:\n    description: Bytes restored.\n  cache-key:\n')
    const updated = withTables(readme, changed)
    assert.notEqual(updated, readme)
    assert.match(updated, /\| `package-manager` \| .* \| `pnpm` \|/)
    assert.match(updated, /\| `cache-size` \| Bytes restored\. \|/)
  })

  it("Troubleshooting's failure blocks are runs of the action: each case has its marker, and a block is replaced whole", () => {
    assert.doesNotMatch(readme, /<!-- run: /, 'the failure blocks are in docs/troubleshooting.md')
    const named = [...troubleshooting.matchAll(/<!-- run: ([\w-]+) -->/g)].map(m => m[1])
    assert.deepEqual(named.sort(), CASES.map(c => c.id).sort())
    const text = 'intro\n<!-- run: a -->\n```text\nold\n```\n<!-- /run -->\nafter\n'
    assert.equal(withRuns(text, new Map([['a', 'Error: new']])), 'intro\n<!-- run: a -->\n```text\nError: new\n```\n<!-- /run -->\nafter\n')
    assert.throws(() => withRuns(text, new Map()), /docs\/troubleshooting\.md names run a, which scripts\/lib\/troubleshooting\.ts does not have/)
  })
})
