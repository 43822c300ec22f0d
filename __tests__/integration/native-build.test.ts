// ktx 0.12 depends on better-sqlite3 12, a native addon built at install time. npm 11 skips
// dependency install scripts unless approved, pnpm 10/11 unless allowed in pnpm-workspace.yaml:
// either would leave ktx unable to execute sqlite queries. These runs prove the action's clean
// install lets the build happen, by executing a query through the freshly compiled module; npm runs
// with strict-allow-scripts, under which an install script without approval fails the install.
// (No prebuilt binary is reachable here, so each install compiles better-sqlite3 once.)
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { packFixture } from '../../scripts/lib/fixture.js'
import { nativeBuildEnv } from '../../scripts/lib/node.js'
import { runAction } from '../../scripts/lib/runner.js'

describe('a release that depends on better-sqlite3 12, like ktx 0.12', () => {
  const tarball = (): string => packFixture({ dependencies: { 'better-sqlite3': '^12.9.0' } })

  for (const manager of ['npm', 'pnpm']) {
    it(`${manager} builds it and the executed query runs on it`, async () => {
      const env = { ...nativeBuildEnv(24), ...(manager === 'npm' ? { npm_config_strict_allow_scripts: 'true' } : {}) }
      const run = await runAction({ inputs: { tarball: tarball(), 'package-manager': manager }, env })
      assert.equal(run.outputs.result, 'passed', run.main.stdout.slice(-4000))
      assert.match(run.main.stdout, /✓ query-execute passed/)
      assert.deepEqual(run.leftovers, [])
    })
  }
})
