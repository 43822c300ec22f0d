import { getExecOutput } from '@actions/exec'
import { which } from '@actions/io'
import { copyFileSync, existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import semver from 'semver'
import { exitsWith, expect } from './checks.js'
import type { PackageManager } from './inputs.js'
import type { Sandbox } from './sandbox.js'
import type { PhaseScope } from './smoke.js'
import type { TarballInfo } from './tarball.js'

const IS_WINDOWS = process.platform === 'win32'

/** Native builds ktx needs (better-sqlite3); both package managers block them unless approved. */
const ALLOWED_BUILDS = ['better-sqlite3']

/** Environment for child tools: the caller's, without what an enclosing npm script injects. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_(lifecycle|package|command|execpath|node_execpath)|INIT_CWD$|KTX_PROJECT_DIR$|FORCE_COLOR$)/i.test(key)) continue
    env[key] = value
  }
  return { ...env, ...extra }
}

export async function findTool(name: string, howToGet: string): Promise<string> {
  const found = await which(name, false)
  if (!found) throw new Error(`${name} is not on PATH. ${howToGet}`)
  return found
}

async function toolVersion(tool: string): Promise<string> {
  const { stdout } = await getExecOutput(tool, ['--version'], { silent: true, ignoreReturnCode: true })
  return stdout.trim()
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
  return toolVersion(tool)
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
  const { stdout } = await getExecOutput(node, ['-p', 'process.version + " " + process.versions.modules'], { silent: true, ignoreReturnCode: true })
  const [version = '', abi = ''] = stdout.trim().split(' ')
  scope.note(`node on PATH: ${version} (${node})`)
  const range = tarball.enginesNode
  if (range && !semver.satisfies(version, range, { includePrerelease: true })) {
    throw new Error(
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

/**
 * Writes a throwaway project whose only dependency is a copy of the tarball, and installs it with
 * the package manager `tool` (npm or pnpm). Returns the path of the installed `ktx` bin.
 */
export async function installTarball(
  manager: PackageManager,
  tool: string,
  tarball: TarballInfo,
  sandbox: Sandbox,
  timeoutSec: number,
  scope: PhaseScope,
  /** The package manager's download cache (npm) or store (pnpm) to use, if the action owns one. */
  cacheDir?: string
): Promise<string> {
  const dir = sandbox.installDir
  const local = 'ktx-under-test.tgz'
  copyFileSync(tarball.path, path.join(dir, local))
  const manifest = {
    name: 'ktx-smoke-install',
    version: '0.0.0',
    private: true,
    description: 'Throwaway project made by ktx-smoke-action',
    dependencies: { [tarball.name]: `file:./${local}` },
    // npm 11+ skips dependency install scripts unless they are approved here.
    allowScripts: Object.fromEntries(ALLOWED_BUILDS.map(name => [name, true]))
  }
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  if (manager === 'pnpm') {
    // pnpm 11 reads allowBuilds, pnpm 10 onlyBuiltDependencies; without them better-sqlite3 is silently not built.
    const yaml = [
      'allowBuilds:',
      ...ALLOWED_BUILDS.map(name => `  ${name}: true`),
      'onlyBuiltDependencies:',
      ...ALLOWED_BUILDS.map(name => `  - ${name}`),
      ''
    ].join('\n')
    writeFileSync(path.join(dir, 'pnpm-workspace.yaml'), yaml)
  }

  const args = manager === 'pnpm' ? ['install', '--no-frozen-lockfile'] : ['install', '--no-audit', '--no-fund']
  if (cacheDir) args.push(manager === 'pnpm' ? '--store-dir' : '--cache', cacheDir)
  await scope.exec(tool, args, { cwd: dir, env: cleanEnv(), timeoutSec, display: `${manager} ${args.join(' ')}` }, [exitsWith(0)])

  const installedManifest = path.join(dir, 'node_modules', ...tarball.name.split('/'), 'package.json')
  expect(existsSync(installedManifest), `${manager} install succeeded but ${tarball.name} is not in node_modules`)
  const installed = JSON.parse(readFileSync(installedManifest, 'utf8')) as { name?: string; version?: string }
  expect(
    installed.name === tarball.name && installed.version === tarball.version,
    `the installed package is ${installed.name}@${installed.version}, but the tarball is ${tarball.name}@${tarball.version}`
  )
  const bin = path.join(dir, 'node_modules', '.bin', IS_WINDOWS ? 'ktx.cmd' : 'ktx')
  expect(existsSync(bin), `${manager} install did not link the ktx bin at ${bin}`)
  scope.note(`installed ${installed.name}@${installed.version}; ktx bin: ${bin}`)
  return bin
}
