// Everything ktx's own release pipeline checks, through the bundled main and post entries: a
// published release from a registry, the static package checks, the library entry, the help
// commands, and a headline that leads with the CLI's own reason. (The install modes with every
// cache mode and package manager are matrix.test.ts's.)
import assert from 'node:assert/strict'
import Database from 'better-sqlite3'
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { packFixture, packReport } from '../../scripts/lib/fixture.js'
import { startRegistry } from '../../scripts/lib/registry.js'
import { runAction, scratch } from '../../scripts/lib/runner.js'
import { CORE_PHASES, modePhases } from '../../src/engine/context.js'
import { assertFailed, assertPassedWith, housekeeping, sandboxesIn, explain, smoke } from './helpers.js'

housekeeping()

describe("the release's own sqlite module", () => {
  it('a release without better-sqlite3 gets its warehouse through node:sqlite, and says so', async () => {
    const run = await smoke({ manifest: { dependencies: { commander: '^14.0.0', yaml: '^2.8.0' } } }, { installs: 'project', 'keep-sandbox': 'true' })
    assert.match(run.main.stdout, /sqlite: node:sqlite \(the release ships no better-sqlite3\)/)
    assert.equal(run.outputs.result, 'passed', explain(run))
    // Read back with the project's own better-sqlite3: the warehouse of the contract, three orders.
    const [kept] = sandboxesIn(run.runnerTemp)
    const db = new Database(path.join(run.runnerTemp, kept, 'project', 'warehouse.db'), { readonly: true })
    assert.deepEqual(db.prepare('SELECT status, amount FROM orders ORDER BY id').all(), [
      { status: 'paid', amount: 20 },
      { status: 'paid', amount: 30 },
      { status: 'open', amount: 10 }
    ])
    db.close()
    rmSync(path.join(run.runnerTemp, kept), { recursive: true, force: true })
  })
})

describe('a published release, from the registry', () => {
  it('retries while the registry answers E404, then smokes the file it serves, in every mode', async () => {
    const dir = scratch('registry-')
    const tarball = packFixture()
    // Served as deprecated, as releases with deprecated dependencies are: npx prints npm's own warning.
    const registry = await startRegistry(tarball, { notFoundFirst: 2, dir, deprecated: 'use 0.12.1' })
    try {
      const run = await runAction({
        inputs: { package: '@kaelio/ktx@0.12.0', installs: 'project,global,npx', 'registry-wait': '60', cache: 'false' },
        env: { NPM_CONFIG_USERCONFIG: registry.npmrc }
      })
      assertPassedWith(run, [...CORE_PHASES, ...modePhases('global'), 'npx-version'])
      // npm may ask for the document more than once per try: at least one try met the 404s, and was logged.
      assert.ok([...run.main.stdout.matchAll(/registry: @kaelio\/ktx@0\.12\.0 is not served yet \(E404\); trying again in \d+ s/g)].length >= 1)
      assert.ok(registry.documentRequests() > 2)
      assert.equal(run.outputs['tarball-integrity'], packReport(tarball).integrity, 'the file the registry serves is the one smoked')
      assert.match(run.main.stdout, /\$ npm install --global --no-audit --no-fund (--cache \S+ )?(--allow-scripts=\S+ )?@kaelio\/ktx@0\.12\.0/)
      assert.match(run.main.stdout, /--package @kaelio\/ktx@0\.12\.0 -- ktx --version/)
      // npm warns that the release is deprecated (npx reuses the installs' cache, where it may stay quiet);
      // its warnings are npm's, not the release's (unit-tested for npx's stderr): every phase passed.
      assert.match(run.main.stdout, /npm warn deprecated @kaelio\/ktx@0\.12\.0: use 0\.12\.1/)
      // As ktx checks a published release: setup --help and status --help through npx too.
      assert.match(run.main.stdout, /--package @kaelio\/ktx@0\.12\.0 -- ktx setup --help\n[\s\S]*?Usage: ktx setup/)
      assert.match(run.main.stdout, /--package @kaelio\/ktx@0\.12\.0 -- ktx status --help\n[\s\S]*?Usage: ktx status/)
    } finally {
      await registry.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('registry-wait says what it did: each retry while the registry answers 404, then how long it took, even in a quiet log; nothing when served at once', async () => {
    const dir = scratch('registry-')
    const tarball = packFixture()
    const registry = await startRegistry(tarball, { notFoundForMs: 5000, dir })
    try {
      const run = await runAction({
        inputs: { package: '@kaelio/ktx@0.12.0', installs: 'project', daemon: 'false', 'registry-wait': '60', quiet: 'true' },
        env: { NPM_CONFIG_USERCONFIG: registry.npmrc }
      })
      assert.equal(run.outputs.result, 'passed', explain(run))
      const lines = run.main.stdout.split('\n').filter(line => line.startsWith('registry: '))
      assert.ok(lines.length >= 3, lines.join('\n'))
      for (const line of lines.slice(0, -1)) {
        assert.match(line, /^registry: @kaelio\/ktx@0\.12\.0 is not served yet \(E404\); trying again in \d+ s \(\d+ s of registry-wait 60 s used\)$/)
      }
      assert.match(lines.at(-1)!, new RegExp(`^registry: @kaelio/ktx@0\\.12\\.0 is served now, after \\d+ s and ${lines.length} tries$`))
      // In the report too, with the phase that waited.
      const report = JSON.parse(readFileSync(run.outputs.report, 'utf8'))
      assert.ok(
        report.phases.find((p: { name: string }) => p.name === 'package').notes.some((n: string) => n.startsWith('registry: @kaelio/ktx@0.12.0 is served now'))
      )
    } finally {
      await registry.close()
    }
    // Served at the first answer: no line about waiting.
    const served = await startRegistry(tarball, { dir })
    try {
      const run = await runAction({
        inputs: { package: '@kaelio/ktx@0.12.0', installs: 'project', daemon: 'false', 'registry-wait': '60' },
        env: { NPM_CONFIG_USERCONFIG: served.npmrc }
      })
      assert.equal(run.outputs.result, 'passed', explain(run))
      assert.doesNotMatch(run.main.stdout, /^registry: /m)
    } finally {
      await served.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a release the registry never serves within registry-wait fails package, naming the input', async () => {
    const dir = scratch('registry-')
    const registry = await startRegistry(packFixture(), { notFoundFirst: 1000, dir })
    try {
      const run = await runAction({ inputs: { package: '@kaelio/ktx@0.12.0', 'registry-wait': '2' }, env: { NPM_CONFIG_USERCONFIG: registry.npmrc } })
      assertFailed(run, 'package', /Phase package failed: the registry did not serve @kaelio\/ktx@0\.12\.0 within registry-wait \(2 s\): npm answered E404/)
      assert.match(
        run.main.stdout,
        /\nregistry: @kaelio\/ktx@0\.12\.0 is still not served \(E404\) after \d+ s and \d+ tries; registry-wait \(2 s\) is used up\n/
      )
      assert.match(run.main.stdout, /Remedy: the registry does not serve this release \(yet\): raise registry-wait \(now 2 s\)/)
    } finally {
      await registry.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('what ktx checks before a release, checked before any install', () => {
  it('a wheel unlike its manifest fails package, naming the file and both checksums, and nothing is installed', async () => {
    const run = await smoke({ tamperedWheel: true })
    assertFailed(
      run,
      'package',
      /Phase package failed: the bundled wheel assets\/python\/kaelio_ktx-0\.12\.0-py3-none-any\.whl has sha256 [0-9a-f]{64}, but assets\/python\/manifest\.json says [0-9a-f]{64}/
    )
    assert.doesNotMatch(run.main.stdout, /\$ (npm|pnpm) install/)
  })

  it('a library entry that cannot load fails import, naming the file, before the lazy install', async () => {
    const run = await smoke({ manifest: { exports: { '.': './lib/broken-entry.js' } } })
    assertFailed(
      run,
      'import',
      /Phase import failed: the library entry \S+\/node_modules\/@kaelio\/ktx\/lib\/broken-entry\.js did not load under the Node on PATH/
    )
    assert.match(run.main.stdout, /Cannot find module '\S+left-out\.js'/)
    assert.doesNotMatch(run.main.stdout, /Installing ktx Python runtime/)
  })

  it('the library entry exposes runKtxCli and the package info; status outside a project may exit 1, as an installed ktx does', async () => {
    const run = await smoke({}, { installs: 'project' })
    assertPassedWith(run, CORE_PHASES as unknown as string[])
    assert.match(run.main.stdout, /import\('@kaelio\/ktx'\) → \S+\/lib\/index\.js: runKtxCli is a function, getKtxCliPackageInfo is a function/)
    assert.match(run.main.stdout, /\$ ktx status --verbose --no-input\n::stop-commands::\S+\nktx status\n\n {2}No project here yet\.\n/)
    // Its workspace checks fail in every install: exit 1, named in the log, and the phase passes.
    assert.match(run.main.stdout, /\(exit 1 in [\d.]+ m?s\)\n/)
    assert.match(
      run.main.stdout,
      /status exited 1 outside a project, as an installed ktx does: its setup checks of this host's toolchain and of ktx's own source workspace failed \([^)]*TypeScript package build: Missing packages\/cli\/dist\/bin\.js; Workspace-local CLI: Command failed: /
    )
    // The second setup, the wiki page ktx's smoke writes, and both searches before any runtime.
    assert.match(run.main.stdout, /\$ ktx setup --project-dir \$SANDBOX\/second-project --no-input --yes/)
    assert.match(run.main.stdout, /✓ search passed/)
    assert.match(run.main.stdout, /wiki search found wiki\/global\/revenue\.md, sl search the orders source; the index is \.ktx\/db\.sqlite/)
  })

  it('a help command that writes on stderr fails help, whatever its exit code', async () => {
    const run = await smoke({ faults: ['no-status-command'] })
    assertFailed(
      run,
      'help',
      /::error::ktx: error: unknown command 'status'%0APhase help failed: expected no output on stderr, but it printed: "error: unknown command 'status'"/
    )
  })

  it('a release candidate passes package: its wheel carries the Python spelling of the version', async () => {
    const run = await smoke({ version: '0.13.0-rc.1' }, { installs: 'project', daemon: 'false' })
    assert.equal(run.outputs.result, 'passed', explain(run))
    assert.match(run.main.stdout, /bundled wheel kaelio_ktx-0\.13\.0rc1-py3-none-any\.whl: sha256, bytes and version as assets\/python\/manifest\.json says/)
    assert.equal(run.outputs['ktx-version'], '0.13.0-rc.1')
  })

  it('a wheel of another version fails package, in both spellings', async () => {
    const other = await smoke({ wheelVersion: '0.11.0' })
    assertFailed(other, 'package', /Phase package failed: assets\/python\/manifest\.json is for version 0\.11\.0, but the package is 0\.12\.0/)
    const candidate = await smoke({ version: '0.13.0-rc.1', wheelVersion: '0.13.0rc2' })
    assertFailed(
      candidate,
      'package',
      /Phase package failed: assets\/python\/manifest\.json is for version 0\.13\.0rc2, but the package is 0\.13\.0-rc\.1 \(0\.13\.0rc1 in Python's spelling\)/
    )
  })
})

describe('a red run leads with the cause', () => {
  it("an offline lazy install: ktx's reason first, quoted once, the uv-binary input as the remedy, the status it read", async () => {
    const run = await smoke({ faults: ['install-offline'] })
    assertFailed(run, 'lazy-install', /::error::ktx: ktx Python runtime install failed: ktx could not download uv 0\.11\.21/)
    const annotation = run.main.stdout.split('\n').find(l => l.startsWith('::error::')) ?? ''
    assert.match(
      annotation,
      /%0APhase lazy-install failed: expected exit code 0, but it exited with 1%0ARemedy: this runner cannot download uv\. Give the action a uv executable with the uv-binary input; it is placed where ktx looks \(\$SANDBOX\/runtime-root\/uv\/0\.11\.21\/uv\)/
    )
    assert.equal(
      annotation.split('Air-gapped hosts: place the uv binary at').length - 1,
      2,
      "ktx's message once in the headline and once in stderr, not twice there"
    )
    assert.match(run.summary, /^## ktx smoke: ❌ ktx: ktx Python runtime install failed: ktx could not download uv 0\.11\.21/)
    assert.equal(JSON.parse(run.outputs['runtime-status']).kind, 'missing', 'runtime-status holds the last status document read')
  })
})
