// The release and how users get it: static checks of the package before any install, the first
// install (project or global), its library entry and help commands, further install modes, npx.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { exports as packageExports } from 'resolve.exports'
import semver from 'semver'
import { managerCacheDir } from '../../engine/cache.js'
import {
  completes,
  exitsWith,
  exitsWithOneOf,
  expect,
  lineMatches,
  SetupError,
  stderrEmpty,
  stderrOnly,
  verify,
  withoutColour,
  type Check
} from '../../engine/checks.js'
import { passedThrough, userNpmConfig } from '../../host/env.js'
import { slQuery } from '../generations.js'
import { HomeWatch } from '../../host/home.js'
import type { InstallMode, PackageManager } from '../../engine/inputs.js'
import { checkNode, findPackageManager, findTool, installGlobal, installProject, npmAllowScripts, packageManagerVersion, userCacheDir } from '../install.js'
import type { Installed, RegistryWait } from '../../engine/context.js'
import { createSandbox, type Sandbox } from '../../host/sandbox.js'
import { bootTicksNow } from '../../host/processes.js'
import { installEnv, ktxEnv, type Phase, type PhaseScope } from '../../engine/scope.js'
import type { SmokeContext } from '../../engine/context.js'
import { STATE } from '../../engine/state.js'
import { inspectTarball, resolveTarball, wheelProblem } from '../tarball.js'
import { countOrders, loadSqlite } from '../warehouse.js'
import { executedCount, readStatus, versionChecks, versionText } from './common.js'
import { untilServed } from '../served.js'
import { downloadRelease } from './registry.js'
import { placeUv, restoreDownloads } from './downloads.js'

/** The sandbox of the run, made on first use (a published release is downloaded into it). */
export function sandboxOf(ctx: SmokeContext, s: PhaseScope): Sandbox {
  if (ctx.sandbox) return ctx.sandbox
  const sandbox = createSandbox(ctx.runId)
  ctx.sandbox = sandbox
  ctx.saveState(STATE.sandbox, sandbox.root)
  // From now on a new process of this user may be the run's, whatever it dropped (host/processes.ts).
  ctx.since = bootTicksNow()
  if (ctx.since !== undefined) ctx.saveState(STATE.since, String(ctx.since))
  s.note(`sandbox: ${sandbox.root}`)
  ctx.facts.runtimeRoot = sandbox.runtimeRoot
  ctx.homeWatch = new HomeWatch(sandbox.home)
  announcePassthrough(ctx, s)
  return sandbox
}

/** Logs which variables env-passthrough lets through to the code under test; secret-looking ones as a warning. */
function announcePassthrough(ctx: SmokeContext, s: PhaseScope): void {
  if (ctx.inputs.envPassthrough.length === 0) return
  const { names, secrets } = passedThrough(process.env, ctx.inputs.envPassthrough)
  ctx.facts.passedThrough = names
  s.note(`env-passthrough (${ctx.inputs.envPassthrough.join(', ')}) passes: ${names.join(', ') || 'no variable that is set'}`)
  if (secrets.length > 0) s.warn(`env-passthrough gives the release under test these secret-looking variables, as asked: ${secrets.join(', ')}`)
}

/** The `uv-binary` input as an existing file, resolved against the workspace. */
function resolveUvBinary(given: string, workspace: string): string {
  const file = path.resolve(workspace, given)
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new SetupError(`Input uv-binary: no file at "${given}" (looked for ${file}). Give the path of a uv executable, or leave uv-binary empty.`)
  }
  return file
}

/** What the first install mode is. */
const firstMode = (ctx: SmokeContext): 'project' | 'global' => ctx.inputs.installs[0] as 'project' | 'global'

/** Static checks before any install: the package, its bin, its engines, its bundled wheel, and the tools on PATH. */
export const PACKAGE: Phase = {
  name: 'package',
  title: 'The package: name, version, ktx bin, engines, bundled wheel',
  async run(ctx, s) {
    let file: string
    if (ctx.inputs.tarball) {
      file = await resolveTarball(ctx.inputs.tarball, ctx.workspace)
    } else {
      sandboxOf(ctx, s)
      file = await downloadRelease(ctx, s, ctx.inputs.package)
    }
    const tarball = await inspectTarball(file)
    ctx.facts.tarball = tarball
    ctx.release = ctx.inputs.tarball ? { kind: 'file', file } : { kind: 'registry', name: tarball.name, version: tarball.version }
    s.note(`tarball: ${file} (${tarball.name}@${tarball.version}, ${tarball.integrity})`)
    expect(semver.valid(tarball.version), `the package's version "${tarball.version}" is not a semver version`)
    const expected = ctx.inputs.expectedVersion
    expect(!expected || tarball.version === expected, `the package is ${tarball.name}@${tarball.version}, but expected-version is ${expected}`)
    const wheel = wheelProblem(tarball)
    expect(!wheel, wheel ?? '')
    if (tarball.assetManifest) s.note(`bundled wheel ${tarball.assetManifest.wheel?.file}: sha256, bytes and version as assets/python/manifest.json says`)
    if (ctx.inputs.uvBinary) ctx.uvBinary = resolveUvBinary(ctx.inputs.uvBinary, ctx.workspace)
    const node = await checkNode(tarball, s)
    const manager = await findPackageManager(ctx.inputs.packageManager, s)
    ctx.host = { node: node.path, nodeVersion: node.version, nodeAbi: node.abi, manager: manager.path, managerVersion: manager.version }
    // The last thing the cache service's tokens are needed for before the release runs (post saves).
    await restoreDownloads(ctx, s, node.abi, manager.version)
  }
}

/** The first install mode: the project install or the global one, in the sandbox. */
export const INSTALL: Phase = {
  name: 'install',
  title: 'Clean install of the release',
  async run(ctx, s) {
    const sandbox = sandboxOf(ctx, s)
    const host = ctx.host!
    if (ctx.uvBinary) placeUv(ctx, s, ctx.uvBinary)
    const manager = ctx.inputs.packageManager
    ctx.plan = {
      manager,
      tool: host.manager,
      version: host.managerVersion,
      node: host.node,
      env: installEnv(ctx),
      timeoutSec: ctx.inputs.installTimeoutSec,
      cacheDir: ctx.cacheDirs ? managerCacheDir(ctx.cacheDirs, manager) : await usersOwnCache(s, manager, host.manager),
      registryWait: registryWaitOf(ctx)
    }
    ctx.installed = await installAs(ctx, s, firstMode(ctx), sandbox)
  }
}

/** With `cache: false`: the runner user's own cache or store, said in the log (every install of the run shares it). */
async function usersOwnCache(s: PhaseScope, manager: PackageManager, tool: string): Promise<string | undefined> {
  const dir = await userCacheDir(manager, tool)
  s.note(
    dir
      ? `cache is false: the installs use ${manager === 'pnpm' ? "the runner user's pnpm store" : "the runner user's npm cache"}, ${dir}`
      : `cache is false and ${manager} names no cache of the runner user: the installs download into the sandbox`
  )
  return dir
}

/** For a release from the registry, how long its installs wait for the registry to serve it. */
function registryWaitOf(ctx: SmokeContext): RegistryWait | undefined {
  const release = ctx.release!
  return release.kind === 'registry' ? { seconds: ctx.inputs.registryWaitSec, spec: `${release.name}@${release.version}` } : undefined
}

async function installAs(ctx: SmokeContext, s: PhaseScope, mode: 'project' | 'global', sandbox: Sandbox): Promise<Installed> {
  ctx.facts.installs = [...(ctx.facts.installs ?? []), mode]
  const install = mode === 'project' ? installProject : installGlobal
  return install(ctx.release!, ctx.facts.tarball!, sandbox, ctx.plan!, s)
}

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
const HELP_CHECKS: [string[], Check[]][] = [
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
const STATUS_HELP: [string[], Check[]] = [['status', '--help'], [lineMatches('stdout', /Usage: ktx status/, '"Usage: ktx status"')]]

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

/** The phases of a further install mode: its install, then version, status and an executed query through it. */
export function modePhases(mode: 'project' | 'global'): Phase[] {
  const where = mode === 'global' ? 'the global install' : 'the project install'
  const via = (ctx: SmokeContext): Installed => {
    const found = ctx.moreInstalls?.[mode]
    if (!found) throw new Error(`${where} is not there`)
    return found
  }
  return [
    {
      name: `${mode}-install`,
      title: mode === 'global' ? 'Global install, as ktx tells its users' : 'Clean project install',
      async run(ctx, s) {
        const installed = await installAs(ctx, s, mode, ctx.sandbox!)
        ctx.moreInstalls = { ...ctx.moreInstalls, [mode]: installed }
      }
    },
    {
      name: `${mode}-version`,
      title: `\`ktx --version\` and \`status --help\` through ${where}`,
      async run(ctx, s) {
        const { name, version } = ctx.facts.tarball!
        await s.ktx(['--version'], versionChecks(name, version), undefined, via(ctx))
        const [args, checks] = STATUS_HELP
        if (ctx.facts.generation?.id === 'admin') await s.ktx(args, [exitsWith(0), stderrEmpty(), ...checks], undefined, via(ctx))
      }
    },
    {
      name: `${mode}-status`,
      title: `Runtime status "ready" through ${where}, in the same runtime root`,
      async run(ctx, s) {
        await readStatus(ctx, s, 'ready', via(ctx))
      }
    },
    {
      name: `${mode}-query`,
      title: `An executed sqlite query through ${where} (its native module loads)`,
      async run(ctx, s) {
        const count = await countOrders(ctx, s, path.join(ctx.sandbox!.projectDir, 'warehouse.db'))
        await s.ktx(
          slQuery(ctx.sandbox!.projectDir, ['--execute', '--max-rows', '100']),
          [exitsWith(0), stderrEmpty(), executedCount(count)],
          undefined,
          via(ctx)
        )
      }
    }
  ]
}

/**
 * What npx writes on stderr besides ktx: npm's own lines (`npm warn deprecated …` while it installs
 * ktx's dependencies; 0.12.0 has four deprecated ones). ktx's own stderr must still be empty.
 */
const NPM_OWN_LINE = /^npm (warn|WARN|notice) /

/**
 * `npx --yes <the release> --version`, `setup --help` and `status --help` in an empty directory,
 * the way users try a release and ktx checks a published one; retried while the registry does not
 * serve it yet.
 */
export const NPX_VERSION: Phase = {
  name: 'npx-version',
  title: '`npx` runs the release',
  async run(ctx, s) {
    ctx.facts.installs = [...(ctx.facts.installs ?? []), 'npx']
    const npx = await findTool('npx', 'It comes with npm: use actions/setup-node before this step.')
    const release = ctx.release!
    const { name, version } = ctx.facts.tarball!
    const dir = path.join(ctx.sandbox!.root, 'npx')
    mkdirSync(dir, { recursive: true })
    const spec = release.kind === 'file' ? `file:${release.file}` : `${release.name}@${release.version}`
    // The npm cache the installs use, so that npx takes their downloads and native builds.
    const shared = ctx.cacheDirs?.npm ?? (ctx.plan?.manager === 'npm' ? ctx.plan.cacheDir : await userCacheDir('npm', npx))
    const cache = shared ?? path.join(ctx.sandbox!.root, 'npm-cache')
    const npmVersion = await packageManagerVersion('npm', npx)
    const env = { ...ktxEnv(ctx), ...userNpmConfig(process.env, os.homedir()) }
    const commands: [string[], Check[]][] = [[['--version'], [versionText(name, version)]]]
    if (ctx.facts.generation?.id === 'admin') commands.push(HELP_CHECKS[1], STATUS_HELP)
    for (const [ktxArgs, checks] of commands) {
      const args = ['--yes', '--cache', cache, ...npmAllowScripts(npmVersion, name), '--package', spec, '--', 'ktx', ...ktxArgs]
      const options = { cwd: dir, env, timeoutSec: ctx.inputs.installTimeoutSec, display: `npx ${args.join(' ')}` }
      const { result } = await untilServed(s, registryWaitOf(ctx), () => s.exec(npx, args, options))
      verify(result, [exitsWith(0), stderrOnly(NPM_OWN_LINE), ...checks])
    }
  }
}

/** The phases of the further install modes, in the order given. */
export function furtherModes(modes: InstallMode[]): Phase[] {
  return modes.flatMap(mode => (mode === 'npx' ? [NPX_VERSION] : modePhases(mode)))
}
