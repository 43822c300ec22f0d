// The real @kaelio/ktx 0.12.0 release tarball (../shared/ktx-0.12.0, or KTX_REAL_TARBALL), the
// judge of every check: installed once per suite into .test-cache, with the better-sqlite3 12 the
// suite compiles once (scripts/lib/prebuild.ts) filed where its installer looks before downloading.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { nativeBuildEnv } from './node.js'
import { CACHE, REPO } from './paths.js'
import { betterSqlite3Prebuild, seedNpmCache } from './prebuild.js'
import { stepPath } from './runner.js'

/** The real tarball: KTX_REAL_TARBALL, else the project's shared copy beside this checkout. */
export function realTarball(): string {
  const file = process.env.KTX_REAL_TARBALL || path.resolve(REPO, '..', 'shared', 'ktx-0.12.0', 'kaelio-ktx-0.12.0.tgz')
  if (!existsSync(file)) {
    throw new Error(`The real ktx 0.12.0 tarball is not at ${file}: put the project's shared/ folder beside this checkout, or set KTX_REAL_TARBALL.`)
  }
  return file
}

/** Download caches for runs of the real release, kept between test runs like a runner's restored cache. */
export const REAL_CACHE = path.join(CACHE, 'real-release')

/** The better-sqlite3 range of a tarball's package.json (ktx 0.12: ^12.10.0). */
function betterSqlite3Range(tarball: string): string {
  const pkg = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' })) as { dependencies?: Record<string, string> }
  const range = pkg.dependencies?.['better-sqlite3']
  if (!range) throw new Error(`${tarball} does not depend on better-sqlite3`)
  return range
}

/**
 * Files the suite's better-sqlite3 build into the npm caches an install of `tarball` reads: the
 * action's own (`<dir>/npm`, passed with --cache) and npm_config_cache (what pnpm hands the
 * install script). Returns the environment that points there and builds for Node 24.
 */
export function seedRealCache(tarball: string, dir = REAL_CACHE): Record<string, string> {
  const prebuild = betterSqlite3Prebuild(betterSqlite3Range(tarball))
  seedNpmCache(path.join(dir, 'npm'), prebuild)
  return { ...nativeBuildEnv(24), npm_config_cache: path.join(dir, 'npm') }
}

/** The real release installed with npm under Node 24 (once per tarball); returns its package dir and bin. */
export function installedReal(tarball = realTarball()): { dir: string; bin: string; packageDir: string } {
  const sha = createHash('sha256').update(readFileSync(tarball)).digest('hex').slice(0, 12)
  const dir = path.join(CACHE, `real-ktx-${sha}`)
  const done = path.join(dir, '.installed')
  const result = { dir, bin: path.join(dir, 'node_modules', '.bin', 'ktx'), packageDir: path.join(dir, 'node_modules', '@kaelio', 'ktx') }
  if (existsSync(done)) return result
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const env = { ...process.env, ...seedRealCache(tarball), PATH: stepPath(24, true) }
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true, allowScripts: { 'better-sqlite3': true, '@kaelio/ktx': true } }))
  console.log(`# installing the real ${path.basename(tarball)} once (about 480 packages)`)
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: dir, env, stdio: ['ignore', 'ignore', 'inherit'] })
  writeFileSync(done, new Date().toISOString())
  return result
}
