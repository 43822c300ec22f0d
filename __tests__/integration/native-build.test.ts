// ktx 0.12 depends on better-sqlite3 12, a native addon installed by its own install script. npm 11
// skips dependency install scripts unless approved, pnpm 10/11 unless allowed in
// pnpm-workspace.yaml: either would leave ktx unable to execute sqlite queries. These runs prove the
// action's clean install lets that script run, by executing a query through the module it installed;
// npm runs with strict-allow-scripts, under which an install script without approval fails the
// install. No prebuilt binary is reachable here: the suite compiles one once (scripts/lib/prebuild.ts)
// and puts it where the install script looks before downloading, as a runner's download would.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { describe, it } from 'node:test'
import { EXAMPLE, packFixture } from '../../scripts/lib/fixture.js'
import { nativeBuildEnv, nodeBinary } from '../../scripts/lib/node.js'
import { betterSqlite3Prebuild, seedNpmCache, shippedAddonFixture, wrongAbiInstall } from '../../scripts/lib/prebuild.js'
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
      // The user's npm cache (npm_config_cache), which both managers install from with no cache service.
      const shared = path.join(CACHE, 'prebuilds', 'npm-cache')
      seedNpmCache(shared, prebuild)
      const env = {
        ...nativeBuildEnv(24),
        npm_config_cache: shared,
        ...(manager === 'npm' ? { npm_config_strict_allow_scripts: 'true' } : {})
      }
      const run = await runAction({
        inputs: { tarball: tarball(), 'package-manager': manager },
        env
      })
      assert.equal(run.outputs.result, 'passed', explain(run))
      assert.match(run.main.stdout, /✓ query-execute passed/)
      assert.deepEqual(run.leftovers, [])
    })
  }
})

describe('a native module built for another Node than the one on PATH', () => {
  it("is named as such, with both Nodes, and is the runner's setup (error), not the release's", async () => {
    const node22Abi = execFileSync(nodeBinary(22), ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim()
    const run = await runAction({
      inputs: { tarball: packFixture(EXAMPLE), 'package-manager': 'npm', installs: 'project' },
      ...wrongAbiInstall(EXAMPLE.dependencies!['better-sqlite3'])
    })
    assert.equal(run.outputs.result, 'error', explain(run))
    assert.equal(run.outputs['failed-phase'], 'sqlite', explain(run))
    const annotation = run.main.stdout.split('\n').find(line => line.startsWith('::error::')) ?? ''
    assert.match(
      annotation,
      new RegExp(
        `^::error::better_sqlite3\\.node was built for Node 24 \\(NODE_MODULE_VERSION 137\\), but the Node on PATH is Node 22 \\(NODE_MODULE_VERSION ${node22Abi}\\), v22\\.[\\d.]+ at \\S+: it cannot load \\(\\S+better_sqlite3\\.node\\)%0APhase sqlite could not run: `
      )
    )
    assert.match(
      annotation,
      /%0ARemedy: this run's install built it for another Node than the one on PATH, so the runner's setup is at fault, not the release\. Likely causes: a nodedir/
    )
    assert.match(run.summary, /^## ktx smoke: ⚠️ better_sqlite3\.node was built for Node 24/)
    assert.deepEqual(run.leftovers, [])
  })

  it("shipped in the tarball for one Node only: the release's fault (failed), with the same headline", async () => {
    const run = await runAction({
      inputs: { tarball: packFixture(shippedAddonFixture(EXAMPLE.dependencies!['better-sqlite3'])), installs: 'project', daemon: 'false' },
      pathNode: 22
    })
    assert.equal(run.outputs.result, 'failed', explain(run))
    assert.equal(run.outputs['failed-phase'], 'version', explain(run))
    const annotation = run.main.stdout.split('\n').find(line => line.startsWith('::error::')) ?? ''
    assert.match(annotation, /^::error::ktx_native\.node was built for Node 24 \(NODE_MODULE_VERSION 137\), but the Node on PATH is Node 22 /)
    assert.match(annotation, /%0ARemedy: the tarball ships this prebuilt binary for Node 24/)
    assert.deepEqual(run.leftovers, [])
  })
})
