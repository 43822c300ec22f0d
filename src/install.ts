import { which } from '@actions/io'
import { copyFileSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import semver from 'semver'
import { exitsWith, expect, SetupError } from './checks.js'
import { sealedEnv } from './env.js'
import type { PackageManager } from './inputs.js'
import { runCommand } from './process.js'
import type { Sandbox } from './sandbox.js'
import type { PhaseScope } from './smoke.js'
import type { TarballInfo } from './tarball.js'

const IS_WINDOWS = process.platform === 'win32'

/** Native builds ktx needs (better-sqlite3); both package managers block them unless approved. */
const NATIVE_BUILDS = ['better-sqlite3']

/** A probe of the host's own tools (`node -p`, `pnpm --version`) gets this long. */
const PROBE_TIMEOUT_MS = 30_000

export async function findTool(name: string, howToGet: string): Promise<string> {
  const found = await which(name, false)
  if (!found) throw new SetupError(`${name} is not on PATH. ${howToGet}`)
  return found
}

/** stdout of a probe of a host tool, bounded in time, with the runner's secrets kept out of it. */
async function probe(tool: string, args: string[]): Promise<string> {
  const r = await runCommand({
    file: tool,
    args,
    cwd: process.cwd(),
    env: sealedEnv(process.env, { runId: 'probe', passthrough: [] }),
    timeoutMs: PROBE_TIMEOUT_MS
  })
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

/** The Node on PATH (the one ktx will run on) must satisfy the package's `engines.node`. */
export async function checkNode(tarball: TarballInfo, scope: PhaseScope): Promise<NodeOnPath> {
  const node = await findTool('node', 'Use actions/setup-node before this step.')
  const stdout = await probe(node, ['-p', 'process.version + " " + process.versions.modules'])
  const [version = '', abi = ''] = stdout.split(' ')
  scope.note(`node on PATH: ${version} (${node})`)
  const range = tarball.enginesNode
  if (range && !semver.satisfies(version, range, { includePrerelease: true })) {
    throw new SetupError(
      `${tarball.name}@${tarball.version} requires Node ${range} (engines.node), but the Node on PATH is ${version} (${node}). Select a matching Node with actions/setup-node before this step.`
    )
  }
  return { path: node, version, abi }
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

/** How the installed ktx is started: `node <bin script>` on Windows (no cmd.exe parsing), its bin elsewhere. */
export interface KtxInvocation {
  file: string
  args: string[]
}

/** The installed package's `ktx` bin script, from its package.json. */
function binScript(packageDir: string, manifest: { name?: string; bin?: unknown }): string | undefined {
  const bin = typeof manifest.bin === 'string' ? manifest.bin : (manifest.bin as Record<string, unknown> | undefined)?.ktx
  return typeof bin === 'string' ? path.join(packageDir, bin) : undefined
}

/**
 * How to start ktx from an install: on Windows `node <the package's bin script>` with the Node on
 * PATH, so that no argument ever passes through cmd.exe (the `.cmd` shim only as a fallback, its
 * arguments quoted for cmd.exe); elsewhere the linked bin, as users run it.
 */
export function ktxInvocation(binDir: string, packageDir: string, manifest: { bin?: unknown }, node: string, windows = IS_WINDOWS): KtxInvocation {
  if (windows) {
    const script = binScript(packageDir, manifest)
    if (script && existsSync(script)) return { file: node, args: [script] }
    return { file: path.join(binDir, 'ktx.cmd'), args: [] }
  }
  return { file: path.join(binDir, 'ktx'), args: [] }
}

/**
 * Writes a throwaway project whose only dependency is a copy of the tarball, and installs it with
 * the package manager `tool` (npm or pnpm) in the sealed environment `env`. The tarball's own
 * install scripts run, as they do for users. Returns how to start the installed `ktx`.
 */
export async function installTarball(
  manager: PackageManager,
  tool: string,
  tarball: TarballInfo,
  sandbox: Sandbox,
  timeoutSec: number,
  scope: PhaseScope,
  env: NodeJS.ProcessEnv,
  node: string,
  /** The package manager's download cache (npm) or store (pnpm) to use, if the action owns one. */
  cacheDir?: string
): Promise<KtxInvocation> {
  const dir = sandbox.installDir
  const local = 'ktx-under-test.tgz'
  copyFileSync(tarball.path, path.join(dir, local))
  // The release's own install scripts and its native dependencies' builds are approved, as a user would.
  const builds = [tarball.name, ...NATIVE_BUILDS]
  const manifest = {
    name: 'ktx-smoke-install',
    version: '0.0.0',
    private: true,
    description: 'Throwaway project made by ktx-smoke-action',
    dependencies: { [tarball.name]: `file:./${local}` },
    // npm 11+ skips dependency install scripts unless they are approved here.
    allowScripts: Object.fromEntries(builds.map(name => [name, true]))
  }
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  if (manager === 'pnpm') {
    // pnpm 11 reads allowBuilds, pnpm 10 onlyBuiltDependencies; without them better-sqlite3 is silently not built.
    // A file: dependency is matched by its spec (`name@file:…`), a registry one by its name.
    const keys = [tarball.name, `${tarball.name}@file:${local}`, ...NATIVE_BUILDS].map(name => JSON.stringify(name))
    const yaml = ['allowBuilds:', ...keys.map(key => `  ${key}: true`), 'onlyBuiltDependencies:', ...keys.map(key => `  - ${key}`), ''].join('\n')
    writeFileSync(path.join(dir, 'pnpm-workspace.yaml'), yaml)
  }

  const args = manager === 'pnpm' ? ['install', '--no-frozen-lockfile'] : ['install', '--no-audit', '--no-fund']
  if (cacheDir) args.push(manager === 'pnpm' ? '--store-dir' : '--cache', cacheDir)
  await scope.exec(tool, args, { cwd: dir, env, timeoutSec, display: `${manager} ${args.join(' ')}` }, [exitsWith(0)])

  const packageDir = path.join(dir, 'node_modules', ...tarball.name.split('/'))
  const installedManifest = path.join(packageDir, 'package.json')
  expect(existsSync(installedManifest), `${manager} install succeeded but ${tarball.name} is not in node_modules`)
  const installed = JSON.parse(readFileSync(installedManifest, 'utf8')) as { name?: string; version?: string; bin?: unknown }
  expect(
    installed.name === tarball.name && installed.version === tarball.version,
    `the installed package is ${installed.name}@${installed.version}, but the tarball is ${tarball.name}@${tarball.version}`
  )
  const binDir = path.join(dir, 'node_modules', '.bin')
  const bin = path.join(binDir, IS_WINDOWS ? 'ktx.cmd' : 'ktx')
  expect(existsSync(bin), `${manager} install did not link the ktx bin at ${bin}`)
  const ktx = ktxInvocation(binDir, packageDir, installed, node)
  scope.note(`installed ${installed.name}@${installed.version}; ktx: ${[ktx.file, ...ktx.args].join(' ')}`)
  return ktx
}
