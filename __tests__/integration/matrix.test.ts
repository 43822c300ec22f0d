// Every cell of cache (auto, true, false) × package manager × installs, with a correct release, on a
// runner's layout whose workspace is watched (a git checkout, or a plain folder, by turns) and whose
// runner user has dotfiles to watch: every cell passes. Nothing the action runs itself (its probes
// of the host's tools, `pnpm store path`, `npm config get cache`) trips its own watches. No cache
// service answers here, so cache auto and true use the runner user's own npm cache or pnpm store, as
// cache false does: the cells share one runner HOME, whose store the first cell of each package
// manager fills and the others reuse.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { CORE_PHASES, modePhases } from '../../src/engine/context.js'
import { assertOwnFileCommands, assertPassedWith, explain, housekeeping, runnerHome, smoke } from './helpers.js'
import { withHome } from '../../scripts/lib/runner.js'

housekeeping()

const CACHES = ['auto', 'true', 'false'] as const
const MANAGERS = ['npm', 'pnpm'] as const
/** Both first modes, each followed by the others: every install function and npx run in every cell. */
const INSTALLS = ['project,global,npx', 'global,project,npx'] as const

/** The runner user's HOME of every cell (one, as a runner's is between jobs). */
const home = runnerHome()

/** The runner user's dotfiles and ~/.config, leaving out the caches the installs may use on purpose. */
const dotfiles = (): string[] =>
  readdirSync(home, { recursive: true, encoding: 'utf8' })
    .filter(f => !f.startsWith('.npm') && !f.startsWith('.local') && !f.startsWith('.cache'))
    .sort()

describe('every cache mode × package manager × installs passes a correct release on a watched workspace', () => {
  let cell = 0
  for (const manager of MANAGERS) {
    for (const cache of CACHES) {
      for (const installs of INSTALLS) {
        const workspace = cell++ % 2 === 0 ? 'checkout' : 'plain'
        it(`cache: ${cache}, ${manager}, installs: ${installs}, on a ${workspace === 'checkout' ? 'git checkout' : 'plain workspace'}`, async () => {
          const before = dotfiles()
          const run = await smoke({}, { cache, 'package-manager': manager, installs }, { env: withHome(home), workspace })
          const further = installs.startsWith('global') ? modePhases('project') : modePhases('global')
          assertPassedWith(run, [...CORE_PHASES, ...further, 'npx-version'])
          assert.equal(run.outputs.installs, installs)

          // No cache service here: the runner user's own cache or store, named in the log; true warns once.
          const own = manager === 'pnpm' ? "the runner user's pnpm store" : "the runner user's npm cache"
          const userCache = manager === 'pnpm' ? path.join(home, '.local', 'share', 'pnpm', 'store') : path.join(home, '.npm')
          const line = new RegExp(
            `${cache === 'true' ? '::warning::' : '\\n'}cache: ${cache === 'false' ? 'cache is false' : 'not used: the cache service is not available here \\(outside GitHub, or not configured\\)'}; the installs use ${own}, ${userCache}`
          )
          assert.match(run.main.stdout, line)
          assert.equal([...run.main.stdout.matchAll(/::warning::/g)].length, cache === 'true' ? 1 : 0, explain(run))
          assert.equal(run.outputs['cache-hit'], 'false')
          assert.equal(run.outputs['cache-key'], '')
          assert.ok(!existsSync(path.join(run.runnerTemp, 'ktx-smoke-cache')), 'no download dirs of the run are made')
          // Every install, and npx, takes its downloads from there.
          for (const install of run.main.stdout.match(/^\$ (npm|pnpm) (install|add)\b.*$/gm) ?? []) {
            assert.ok(install.includes(`${manager === 'pnpm' ? '--store-dir' : '--cache'} ${userCache}`), install)
          }
          assert.match(
            run.main.stdout,
            new RegExp(
              `\\$ npx --yes --cache ${path.join(home, '.npm')} (--allow-scripts=\\S+ )?--package file:\\S+kaelio-ktx-0\\.12\\.0\\.tgz -- ktx --version`
            )
          )
          // The global install's bin comes first on PATH and runs from the sandbox's own prefix.
          assert.match(
            run.main.stdout,
            new RegExp(`installed @kaelio/ktx@0\\.12\\.0 globally; ktx: \\S+/ktx-smoke-\\w+/${manager === 'npm' ? 'global/bin' : 'pnpm-home(/bin)?'}/ktx`)
          )

          // Nothing outside the sandbox changed: the workspace, the dotfiles, the job's file commands.
          if (workspace === 'checkout') {
            assert.equal(execFileSync('git', ['status', '--porcelain'], { cwd: run.layout.workspace, encoding: 'utf8' }), '', 'the checkout is clean')
          }
          assert.deepEqual(readdirSync(run.layout.workspace).sort(), [
            ...(workspace === 'checkout' ? ['.git'] : []),
            'README.md',
            'package.json',
            'pnpm-workspace.yaml'
          ])
          assert.deepEqual(dotfiles(), before, "nothing new among the runner user's dotfiles")
          assert.equal(readFileSync(path.join(home, '.bashrc'), 'utf8'), "# the runner user's bashrc\n")
          assertOwnFileCommands(run)
        })
      }
    }
  }
})
