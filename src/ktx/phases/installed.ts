// What the first install gives: the package's library entry under the Node on PATH, the help
// commands and `status` outside a project (as ktx's own release pipeline checks them), and the
// release's sqlite module.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { exports as packageExports } from 'resolve.exports'
import { completes, exitsWith, exitsWithOneOf, expect, lineMatches, stderrEmpty, withoutColour, type Check } from '../../engine/checks.js'
import { ktxEnv, type Phase } from '../../engine/scope.js'
import { loadSqlite } from '../warehouse.js'

/** The library entry a package declares for `import()`, resolved like Node does; undefined when none. */
export function libraryEntry(packageDir: string): string | undefined {
  const pkg = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { name?: string; main?: string; exports?: unknown }
  let target: string | undefined
  if (pkg.exports !== undefined) {
    try {
      target = packageExports(pkg, '.', { conditions: ['node', 'import'] })?.[0]
    } catch {
      target = undefined
    }
  } else if (pkg.main) {
    target = pkg.main
  } else if (existsSync(path.join(packageDir, 'index.js'))) {
    target = 'index.js'
  }
  return target ? path.join(packageDir, target) : undefined
}

/** Imports a file with the Node on PATH and reports what it exposes, as JSON on stdout. */
const IMPORT_SCRIPT = `
const [file] = process.argv.slice(1)
const m = await import((await import('node:url')).pathToFileURL(file).href)
const info = typeof m.getKtxCliPackageInfo === 'function' ? await m.getKtxCliPackageInfo() : undefined
console.log(JSON.stringify({ runKtxCli: typeof m.runKtxCli, getKtxCliPackageInfo: typeof m.getKtxCliPackageInfo, name: info?.name ?? null }))
`

/** The package imports as a library under the Node on PATH; the admin generation exposes runKtxCli and its package info. */
export const IMPORT: Phase = {
  name: 'import',
  title: 'The package imports as a library under the Node on PATH',
  async run(ctx, s) {
    const { packageDir } = ctx.installed!
    const name = ctx.facts.tarball!.name
    const entry = libraryEntry(packageDir)
    const adminRequired = ctx.inputs.cliGeneration !== 'runtime'
    if (!entry) {
      expect(!adminRequired, `${name} declares no library entry (no "exports" or "main" in its package.json), so import('${name}') fails`)
      s.note(`${name} declares no library entry; the runtime generation needs none`)
      return
    }
    const loaded: Check = r =>
      completes(r) ?? (r.exitCode === 0 ? undefined : `the library entry ${entry} did not load under the Node on PATH (exit ${r.exitCode ?? r.signal})`)
    const r = await s.exec(
      ctx.host!.node,
      ['--input-type=module', '-e', IMPORT_SCRIPT, entry],
      { cwd: ctx.sandbox!.installDir, env: ktxEnv(ctx), timeoutSec: ctx.inputs.phaseTimeoutSec, display: `node -e "import('${name}')" ${entry}` },
      [loaded]
    )
    const found = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { runKtxCli?: string; getKtxCliPackageInfo?: string; name?: string | null }
    s.note(`import('${name}') → ${entry}: runKtxCli is a ${found.runKtxCli}, getKtxCliPackageInfo is a ${found.getKtxCliPackageInfo}`)
    if (!adminRequired) return
    expect(found.runKtxCli === 'function', `the library entry ${entry} exposes no runKtxCli function (it is ${found.runKtxCli})`, r)
    expect(found.getKtxCliPackageInfo === 'function', `the library entry ${entry} exposes no getKtxCliPackageInfo function`, r)
    expect(found.name === name, `getKtxCliPackageInfo().name is ${JSON.stringify(found.name)}, expected "${name}"`, r)
  }
}

/** `--help` and `setup --help`, as ktx's own pipeline checks them (contract §9). */
export const HELP_CHECKS: [string[], Check[]][] = [
  [['--help'], [lineMatches('stdout', /Usage: ktx/, '"Usage: ktx"'), lineMatches('stdout', /setup/, 'the setup command')]],
  [
    ['setup', '--help'],
    [lineMatches('stdout', /Usage: ktx setup/, '"Usage: ktx setup"'), lineMatches('stdout', /--no-input/, 'the --no-input option')]
  ]
]

/** `ktx status --verbose --no-input` outside a project, as ktx's own pipeline checks it (contract §9). */
const STATUS_SETUP_CHECKS: Check[] = [
  // An installed ktx exits 1 here: its setup checks look for ktx's own source workspace (and uv on
  // PATH), which no install has. ktx's pipeline accepts 0 or 1 and reads the text instead.
  exitsWithOneOf([0, 1]),
  stderrEmpty(),
  lineMatches('stdout', /ktx status/, 'the "ktx status" heading'),
  lineMatches('stdout', /No project here yet\./, '"No project here yet."'),
  lineMatches('stdout', /ktx setup/, 'the advice to run ktx setup'),
  lineMatches('stdout', /Node 22\+/, 'the "Node 22+" toolchain line')
]

/** The `✗ <label>: <detail>` lines of status's "Before you can run ktx setup, fix this:" list. */
export function failingSetupChecks(stdout: string): string[] {
  const lines = stdout.split(/\r?\n/).map(withoutColour)
  const start = lines.findIndex(line => /fix this:\s*$/.test(line))
  if (start < 0) return []
  const failing: string[] = []
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '') break
    const m = line.match(/^\s*✗\s+(.*)$/)
    if (m) failing.push(m[1])
  }
  return failing
}

/**
 * The help commands, and `status` outside a project, as ktx's own release pipeline checks them.
 * stderr must stay empty for each: ktx's pipeline asks that of `status` only, but commander writes
 * help to stdout and, with telemetry and the update check off, a correct release prints nothing else.
 */
export const HELP: Phase = {
  name: 'help',
  title: 'The help commands, and status outside a project',
  async run(ctx, s) {
    for (const [args, checks] of HELP_CHECKS) await s.ktx(args, [exitsWith(0), stderrEmpty(), ...checks])
    if (ctx.facts.generation?.id !== 'admin') return
    // Run in the still empty project dir: no project here yet.
    const r = await s.ktx(['status', '--verbose', '--no-input'], STATUS_SETUP_CHECKS)
    if (r.exitCode === 0) return
    const failing = failingSetupChecks(r.stdout)
    s.note(
      `status exited 1 outside a project, as an installed ktx does: its setup checks of this host's toolchain and of ktx's own source workspace failed${failing.length ? ` (${failing.join('; ')})` : ''}. They are not the release's fault; ktx's own pipeline accepts exit 1 here.`
    )
  }
}

/** `ktx status --help`, as ktx checks a published release through each install (contract §9); commander prints its usage line. */
export const STATUS_HELP: [string[], Check[]] = [['status', '--help'], [lineMatches('stdout', /Usage: ktx status/, '"Usage: ktx status"')]]

/**
 * The release's sqlite module loads under the Node on PATH, before the lazy install: the
 * better-sqlite3 it depends on (built or fetched at install time), or node:sqlite where it has none.
 */
export const SQLITE: Phase = {
  name: 'sqlite',
  title: "The release's sqlite module loads under the Node on PATH",
  async run(ctx, s) {
    const via = await loadSqlite(ctx, s)
    ctx.facts.sqlite = via
    s.note(`sqlite: ${via}`)
  }
}
