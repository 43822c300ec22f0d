// The release and how users get it: static checks of the package before any install, the sandbox,
// and the first install (project or global). What the install gives is checked in installed.ts; the
// further install modes and npx are modes.ts's.
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import semver from 'semver'
import { managerCacheDir } from '../../engine/cache.js'
import { expect, SetupError } from '../../engine/checks.js'
import type { Installed, RegistryWait, SmokeContext } from '../../engine/context.js'
import { installEnv, type Phase, type PhaseScope } from '../../engine/scope.js'
import { STATE } from '../../engine/state.js'
import { passedThrough } from '../../host/env.js'
import { HomeWatch } from '../../host/home.js'
import { bootTicksNow } from '../../host/processes.js'
import { tagText, tagThisProcess } from '../../host/run-tag.js'
import { createSandbox, type Sandbox } from '../../host/sandbox.js'
import { installGlobal, installProject } from '../install.js'
import { checkNode, findNode, findPackageManager } from '../tools.js'
import { inspectTarball, resolveTarball, wheelProblem } from '../tarball.js'
import { placeUv, restoreDownloads } from './downloads.js'
import { downloadRelease } from './registry.js'

/** The sandbox of the run, made on first use (a published release is downloaded into it). */
export function sandboxOf(ctx: SmokeContext, s: PhaseScope): Sandbox {
  if (ctx.sandbox) return ctx.sandbox
  const sandbox = createSandbox(ctx.runId)
  ctx.sandbox = sandbox
  ctx.saveState(STATE.sandbox, sandbox.root)
  // From now on a new process of this user may be the run's, whatever it dropped (host/processes.ts);
  // it is when it carries the run's tag, which another run's processes do not (host/run-tag.ts).
  ctx.since = bootTicksNow()
  if (ctx.since !== undefined) ctx.saveState(STATE.since, String(ctx.since))
  ctx.tag = tagThisProcess()
  if (ctx.tag) ctx.saveState(STATE.tag, tagText(ctx.tag))
  else if (ctx.since !== undefined) {
    s.note(
      "processes cannot be tagged here (no util-linux prlimit): another smoke run of this user on this host, started meanwhile, could be taken for this run's"
    )
  }
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
    // The tools first, so that a report names its cell (Node, package manager) whatever fails next.
    const node = await findNode(s)
    ctx.facts.runner = { nodeVersion: node.version }
    const manager = await findPackageManager(ctx.inputs.packageManager, s)
    ctx.facts.runner.managerVersion = manager.version
    expect(semver.valid(tarball.version), `the package's version "${tarball.version}" is not a semver version`)
    const expected = ctx.inputs.expectedVersion
    expect(!expected || tarball.version === expected, `the package is ${tarball.name}@${tarball.version}, but expected-version is ${expected}`)
    const wheel = wheelProblem(tarball)
    expect(!wheel, wheel ?? '')
    if (tarball.assetManifest) s.note(`bundled wheel ${tarball.assetManifest.wheel?.file}: sha256, bytes and version as assets/python/manifest.json says`)
    if (ctx.inputs.uvBinary) ctx.uvBinary = resolveUvBinary(ctx.inputs.uvBinary, ctx.workspace)
    checkNode(tarball, node)
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
      cacheDir: ctx.cacheDirs ? managerCacheDir(ctx.cacheDirs, manager) : ctx.userCaches?.manager,
      registryWait: registryWaitOf(ctx)
    }
    ctx.installed = await installAs(ctx, s, firstMode(ctx), sandbox)
  }
}

/** For a release from the registry, how long its installs wait for the registry to serve it. */
export function registryWaitOf(ctx: SmokeContext): RegistryWait | undefined {
  const release = ctx.release!
  return release.kind === 'registry' ? { seconds: ctx.inputs.registryWaitSec, spec: `${release.name}@${release.version}` } : undefined
}

/** Installs the release in `mode` (project or global) in the sandbox, with the run's install plan. */
export async function installAs(ctx: SmokeContext, s: PhaseScope, mode: 'project' | 'global', sandbox: Sandbox): Promise<Installed> {
  ctx.facts.installs = [...(ctx.facts.installs ?? []), mode]
  const install = mode === 'project' ? installProject : installGlobal
  return install(ctx.release!, ctx.facts.tarball!, sandbox, ctx.plan!, s)
}
