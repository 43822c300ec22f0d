// The host's own tools, as the package phase finds and asks them: the Node on PATH (its version
// and ABI, against the package's engines), the package manager (its version, the runner user's
// own cache or store). Each probe is bounded in time, runs sealed from the runner's secrets and in
// a folder of its own beside the sandboxes. The installs that use them: install.ts.
import { which } from '@actions/io'
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import semver from 'semver'
import { SetupError } from '../engine/checks.js'
import type { PackageManager } from '../engine/inputs.js'
import type { PhaseScope } from '../engine/scope.js'
import { runCommand } from '../host/command.js'
import { sealedEnv } from '../host/env.js'
import { tempParent, unwritableTemp } from '../host/sandbox.js'
import type { TarballInfo } from './tarball.js'

/** A probe of the host's own tools (`node -p`, `pnpm --version`) gets this long. */
const PROBE_TIMEOUT_MS = 30_000

export async function findTool(name: string, howToGet: string): Promise<string> {
  const found = await which(name, false)
  if (!found) throw new SetupError(`${name} is not on PATH. ${howToGet}`)
  return found
}

/**
 * Runs `fn` in a folder of its own in the temp parent (beside the sandboxes, never the checkout),
 * removed after. It holds a package.json, so that pnpm takes it for the project: `pnpm store path`
 * writes and removes a `_tmp_<pid>_…` file in the project it runs in, to test hard links to the store.
 */
async function inProbeDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  let dir: string
  try {
    dir = mkdtempSync(path.join(tempParent(), 'ktx-smoke-probe-'))
  } catch (error) {
    throw unwritableTemp("a folder for the action's probes of the host's tools", tempParent(), error)
  }
  try {
    writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n')
    return await fn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * stdout of a probe of a host tool, bounded in time, with the runner's secrets kept out of it. It
 * runs with the runner user's HOME (their config is what it asks about) in a folder of its own.
 */
async function probe(tool: string, args: string[]): Promise<string> {
  const r = await inProbeDir(cwd =>
    runCommand({ file: tool, args, cwd, env: sealedEnv(process.env, { runId: 'probe', passthrough: [] }), timeoutMs: PROBE_TIMEOUT_MS })
  )
  if (r.exitCode !== 0) {
    const why =
      r.spawnError ?? (r.timedOut ? `no answer within ${PROBE_TIMEOUT_MS / 1000} s` : `exit ${r.exitCode ?? r.signal}: ${r.stderr.trim().slice(-300)}`)
    throw new SetupError(`\`${path.basename(tool)} ${args.join(' ')}\` failed (${why}); check the ${path.basename(tool)} on PATH (${tool}).`)
  }
  return r.stdout.trim()
}

/**
 * The version of a package manager installed as an npm package (setup-node's npm, pnpm from
 * pnpm/action-setup or npm): read from its package.json next to the bin it links to, which is much
 * quicker than starting it. Otherwise (a standalone binary, a Windows shim) it is asked.
 */
export async function packageManagerVersion(manager: PackageManager, tool: string): Promise<string> {
  try {
    let dir = path.dirname(realpathSync(tool))
    for (let i = 0; i < 4; i++, dir = path.dirname(dir)) {
      const file = path.join(dir, 'package.json')
      if (!existsSync(file)) continue
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }
      if (pkg.name === manager && pkg.version) return pkg.version
    }
  } catch {
    // Fall back to asking the tool.
  }
  return probe(tool, ['--version'])
}

export interface NodeOnPath {
  path: string
  version: string
  /** `process.versions.modules`: the ABI native addons are built for. */
  abi: string
}

/**
 * NODE_MODULE_VERSION (the ABI a native addon is built for) of each Node release line. Node answers
 * `--version` in about 10 ms but takes some 80 ms to evaluate anything; a line not listed here, or
 * a pre-release, is asked.
 */
const MODULE_VERSIONS: Readonly<Record<number, string>> = { 18: '108', 19: '111', 20: '115', 21: '120', 22: '127', 23: '131', 24: '137' }

/** The version (`v24.1.0`) and NODE_MODULE_VERSION of a Node binary. */
export async function nodeVersion(node: string): Promise<{ version: string; abi: string }> {
  const version = await probe(node, ['--version'])
  const release = /^v(\d+)\.\d+\.\d+$/.exec(version)
  const abi = release ? MODULE_VERSIONS[Number(release[1])] : undefined
  if (abi) return { version, abi }
  const [asked = '', modules = ''] = (await probe(node, ['-p', 'process.version + " " + process.versions.modules'])).split(' ')
  return { version: asked, abi: modules }
}

/** The Node on PATH: the one ktx will run on. */
export async function findNode(scope: PhaseScope): Promise<NodeOnPath> {
  const node = await findTool('node', 'Use actions/setup-node before this step.')
  const { version, abi } = await nodeVersion(node)
  scope.note(`node on PATH: ${version} (${node})`)
  return { path: node, version, abi }
}

/** The Node on PATH must satisfy the package's `engines.node`. */
export function checkNode(tarball: TarballInfo, { path: node, version }: NodeOnPath): void {
  const range = tarball.enginesNode
  if (range && !semver.satisfies(version, range, { includePrerelease: true })) {
    throw new SetupError(
      `${tarball.name}@${tarball.version} requires Node ${range} (engines.node), but the Node on PATH is ${version} (${node}). Select a matching Node with actions/setup-node before this step.`
    )
  }
}

/** The package manager on PATH, with a hint on how to get it when it is not there. */
export async function findPackageManager(manager: PackageManager, scope: PhaseScope): Promise<{ path: string; version: string }> {
  const tool = await findTool(
    manager,
    manager === 'pnpm'
      ? 'Install it before this step, e.g. with pnpm/action-setup, `corepack enable pnpm`, or `npm install -g pnpm`.'
      : 'Use actions/setup-node before this step.'
  )
  const version = await packageManagerVersion(manager, tool)
  scope.note(`${manager} ${version} (${tool})`)
  return { path: tool, version }
}

/**
 * The runner user's own download cache (npm) or store (pnpm), as the package manager reports it
 * with the user's HOME and config: the installs use it where the action owns no cache (cache:
 * false, no cache service), since theirs run with a HOME of the sandbox. Asked in phase package,
 * before the watches outside the sandbox start. Undefined when the package manager cannot tell.
 */
export async function userCacheDir(manager: PackageManager, tool: string): Promise<string | undefined> {
  try {
    const dir = await probe(tool, manager === 'pnpm' ? ['store', 'path'] : ['config', 'get', 'cache'])
    return dir !== '' && path.isAbsolute(dir) ? dir : undefined
  } catch {
    return undefined
  }
}
