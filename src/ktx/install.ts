import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import semver from 'semver'
import { glob } from 'tinyglobby'
import { exitsWith, expect, verify } from '../engine/checks.js'
import { untilServed } from './served.js'
import { prependPath } from '../host/env.js'
import type { Sandbox } from '../host/sandbox.js'
import type { InstallPlan, Installed, KtxInvocation, ReleaseRef } from '../engine/context.js'
import type { PhaseScope } from '../engine/scope.js'
import type { TarballInfo } from './tarball.js'

const IS_WINDOWS = process.platform === 'win32'

/** Native builds ktx needs (better-sqlite3); both package managers block them unless approved. */
const NATIVE_BUILDS = ['better-sqlite3']

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

/** Native builds ktx needs and the release's own install scripts are approved, as a user would. */
function approvedBuilds(name: string): string[] {
  return [name, ...NATIVE_BUILDS]
}

/**
 * npm 11.16+ approves install scripts of a global install or npx (no package.json of their own)
 * with `--allow-scripts`; older npm has no such setting and runs them anyway.
 */
export function npmAllowScripts(npmVersion: string, name: string): string[] {
  return semver.valid(npmVersion) && semver.gte(npmVersion, '11.16.0') ? [`--allow-scripts=${approvedBuilds(name).join(',')}`] : []
}

function cacheArgs(plan: InstallPlan): string[] {
  return plan.cacheDir ? [plan.manager === 'pnpm' ? '--store-dir' : '--cache', plan.cacheDir] : []
}

/** Runs a package manager's install: exit 0, retried while the registry does not serve the release yet. */
async function installCommand(plan: InstallPlan, scope: PhaseScope, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  const options = { cwd, env, timeoutSec: plan.timeoutSec, display: `${plan.manager} ${args.join(' ')}` }
  const { result } = await untilServed(scope, plan.registryWait, () => scope.exec(plan.tool, args, options))
  verify(result, [exitsWith(0)])
}

/** The installed package's manifest must be the release's; returns it. */
function checkInstalled(packageDir: string, name: string, version: string, how: string): { name?: string; version?: string; bin?: unknown } {
  const file = path.join(packageDir, 'package.json')
  expect(existsSync(file), `${how} succeeded but ${name} is not at ${packageDir}`)
  const installed = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string; bin?: unknown }
  expect(
    installed.name === name && installed.version === version,
    `the installed package is ${installed.name}@${installed.version}, but the release is ${name}@${version}`
  )
  return installed
}

/**
 * Writes a throwaway project whose only dependency is the release (a copy of the tarball, or the
 * version from the registry) and installs it. The release's own install scripts run.
 */
export async function installProject(release: ReleaseRef, tarball: TarballInfo, sandbox: Sandbox, plan: InstallPlan, scope: PhaseScope): Promise<Installed> {
  const dir = sandbox.installDir
  const local = 'ktx-under-test.tgz'
  if (release.kind === 'file') copyFileSync(release.file, path.join(dir, local))
  const builds = approvedBuilds(tarball.name)
  const manifest = {
    name: 'ktx-smoke-install',
    version: '0.0.0',
    private: true,
    description: 'Throwaway project made by ktx-smoke-action',
    dependencies: { [tarball.name]: release.kind === 'file' ? `file:./${local}` : release.version },
    // npm 11+ skips dependency install scripts unless they are approved here.
    allowScripts: Object.fromEntries(builds.map(name => [name, true]))
  }
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  if (plan.manager === 'pnpm') {
    // pnpm 11 reads allowBuilds, pnpm 10 onlyBuiltDependencies; without them better-sqlite3 is silently not built.
    // A file: dependency is matched by its spec (`name@file:…`), a registry one by its name.
    const keys = [...builds, `${tarball.name}@file:${local}`].map(name => JSON.stringify(name))
    const yaml = ['allowBuilds:', ...keys.map(key => `  ${key}: true`), 'onlyBuiltDependencies:', ...keys.map(key => `  - ${key}`), ''].join('\n')
    writeFileSync(path.join(dir, 'pnpm-workspace.yaml'), yaml)
  }

  const args = [...(plan.manager === 'pnpm' ? ['install', '--no-frozen-lockfile'] : ['install', '--no-audit', '--no-fund']), ...cacheArgs(plan)]
  await installCommand(plan, scope, args, dir, plan.env)

  const packageDir = path.join(dir, 'node_modules', ...tarball.name.split('/'))
  const installed = checkInstalled(packageDir, tarball.name, tarball.version, `${plan.manager} install`)
  const binDir = path.join(dir, 'node_modules', '.bin')
  const bin = path.join(binDir, IS_WINDOWS ? 'ktx.cmd' : 'ktx')
  expect(existsSync(bin), `${plan.manager} install did not link the ktx bin at ${bin}`)
  const ktx = ktxInvocation(binDir, packageDir, installed, plan.node)
  scope.note(`installed ${installed.name}@${installed.version}; ktx: ${[ktx.file, ...ktx.args].join(' ')}`)
  return { mode: 'project', ktx, packageDir }
}

/**
 * The package.json of `name` in pnpm's global directory: `5/node_modules/<name>` (pnpm 10) or
 * `v11/<hash>/node_modules/<name>` (pnpm 11), looked for there first; anywhere up to six levels down
 * only when neither layout has it (a search through the whole store takes some 25 ms).
 */
async function globalPackage(dir: string, name: string): Promise<string | undefined> {
  const [known] = await glob([`*/node_modules/${name}/package.json`, `*/*/node_modules/${name}/package.json`], { cwd: dir, absolute: true })
  if (known) return known
  const [found] = await glob(`**/node_modules/${name}/package.json`, { cwd: dir, absolute: true, deep: 6 })
  return found
}

/**
 * Installs the release globally, into a prefix inside the sandbox, as ktx's README tells users to:
 * `npm install -g` with its own prefix, or `pnpm add -g` with its own PNPM_HOME.
 */
export async function installGlobal(release: ReleaseRef, tarball: TarballInfo, sandbox: Sandbox, plan: InstallPlan, scope: PhaseScope): Promise<Installed> {
  const what = release.kind === 'file' ? release.file : `${release.name}@${release.version}`
  const env = { ...plan.env }
  const exe = IS_WINDOWS ? 'ktx.cmd' : 'ktx'
  let binDir: string
  let packageDir: string | undefined
  let args: string[]
  if (plan.manager === 'pnpm') {
    const home = path.join(sandbox.root, 'pnpm-home')
    binDir = home
    env.PNPM_HOME = home
    prependPath(env, `${path.join(home, 'bin')}${path.delimiter}${home}`)
    args = ['add', '--global', what, ...approvedBuilds(tarball.name).map(name => `--allow-build=${name}`), ...cacheArgs(plan)]
  } else {
    const prefix = path.join(sandbox.root, 'global')
    binDir = IS_WINDOWS ? prefix : path.join(prefix, 'bin')
    const modules = path.join(prefix, ...(IS_WINDOWS ? [] : ['lib']), 'node_modules')
    // npm's strict-allow-scripts check looks at the prefix's node_modules before anything creates it.
    mkdirSync(modules, { recursive: true })
    packageDir = path.join(modules, ...tarball.name.split('/'))
    env.npm_config_prefix = prefix
    prependPath(env, binDir)
    args = ['install', '--global', '--no-audit', '--no-fund', ...cacheArgs(plan), ...npmAllowScripts(plan.version, tarball.name), what]
  }
  await installCommand(plan, scope, args, sandbox.root, env)
  if (!packageDir) {
    const home = env.PNPM_HOME as string
    // pnpm 11 links global bins into $PNPM_HOME/bin, pnpm 10 into $PNPM_HOME; both are on PATH (pnpm refuses otherwise).
    if (existsSync(path.join(home, 'bin', exe))) binDir = path.join(home, 'bin')
    const found = await globalPackage(path.join(home, 'global'), tarball.name)
    expect(found, `pnpm add --global succeeded but ${tarball.name} is nowhere under ${path.join(home, 'global')}`)
    packageDir = path.dirname(found)
  }
  const installed = checkInstalled(packageDir, tarball.name, tarball.version, `${plan.manager} global install`)
  const bin = path.join(binDir, exe)
  expect(existsSync(bin), `the global install did not link the ktx bin at ${bin}`)
  const ktx = ktxInvocation(binDir, packageDir, installed, plan.node)
  scope.note(`installed ${installed.name}@${installed.version} globally; ktx: ${[ktx.file, ...ktx.args].join(' ')}; ${binDir} goes first on PATH`)
  return { mode: 'global', ktx, packageDir, binDir }
}
