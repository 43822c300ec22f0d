import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { withTables } from '../../scripts/docs.js'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
const actionYml = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')

describe('README and action.yml', () => {
  it('README inputs and outputs tables are the ones action.yml generates (npm run docs)', () => {
    assert.equal(withTables(readme, actionYml), readme)
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
})
