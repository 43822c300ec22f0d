// ktx 0.12 depends on better-sqlite3 12, a native addon installed by its own install script. npm 11
// skips dependency install scripts unless approved, pnpm 10/11 unless allowed in
// pnpm-workspace.yaml: either would leave ktx unable to execute sqlite queries. These runs prove the
// action's clean install lets that script run, by executing a query through the module it installed;
// npm runs with strict-allow-scripts, under which an install script without approval fails the
// install. No prebuilt binary is reachable here: the suite compiles one once (scripts/lib/prebuild.ts)
// and puts it where the install script looks before downloading, as a runner's download would.
import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, it } from 'node:test'
import { EXAMPLE, packFixture } from '../../scripts/lib/fixture.js'
import { nativeBuildEnv } from '../../scripts/lib/node.js'
import { betterSqlite3Prebuild, seedNpmCache } from '../../scripts/lib/prebuild.js'
import { CACHE } from '../../scripts/lib/paths.js'
import { runAction } from '../../scripts/lib/runner.js'
import { explain, housekeeping } from './helpers.js'

housekeeping()

describe('a release that depends on better-sqlite3 12, like ktx 0.12', () => {
  const tarball = (): string => packFixture(EXAMPLE)
  const range = EXAMPLE.dependencies!['better-sqlite3']

  for (const manager of ['npm', 'pnpm']) {
    it(`${manager} runs its install script and the executed query runs on the module`, async () => {
      const prebuild = betterSqlite3Prebuild(range)
      // npm gives the install script its own --cache (the action's); pnpm passes npm_config_cache on.
      const shared = path.join(CACHE, 'prebuilds', 'npm-cache')
      seedNpmCache(shared, prebuild)
      const env = {
        ...nativeBuildEnv(24),
        npm_config_cache: shared,
        ...(manager === 'npm' ? { npm_config_strict_allow_scripts: 'true' } : {})
      }
      const run = await runAction({
        inputs: { tarball: tarball(), 'package-manager': manager },
        env,
        beforeMain: temp => seedNpmCache(path.join(temp, 'ktx-smoke-cache', 'npm'), prebuild)
      })
      assert.equal(run.outputs.result, 'passed', explain(run))
      assert.match(run.main.stdout, /✓ query-execute passed/)
      assert.deepEqual(run.leftovers, [])
    })
  }
})
