// better-sqlite3 12 (ktx 0.12's dependency) has no prebuilt binary reachable here, so each install
// of it would compile it, a minute or more each time. This compiles it once per version and Node
// major and files the result where its installer (prebuild-install) looks before downloading:
// `<npm cache>/_prebuilds/<digest>-<file name of the download url>`. An install whose npm cache
// holds that file takes seconds, as on a runner that can download the binary. The install script
// itself must still run (approved by the action), or no binary is unpacked.
import { execFileSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import semver from 'semver'
import * as tar from 'tar'
import { EXAMPLE, type FixtureOptions } from './fixture.js'
import { nativeBuildEnv, nodeBinary } from './node.js'
import { CACHE } from './paths.js'
import { type RunOptions, stepPath } from './runner.js'

export interface Prebuild {
  version: string
  /** The tar.gz holding build/Release/better_sqlite3.node. */
  file: string
  /** Its name under `<npm cache>/_prebuilds/`. */
  cacheName: string
}

const DIR = path.join(CACHE, 'prebuilds')

/** The newest published version of better-sqlite3 in `range`. */
function resolveVersion(range: string): string {
  const out = execFileSync('npm', ['view', `better-sqlite3@${range}`, 'version', '--json'], { encoding: 'utf8' })
  const versions = JSON.parse(out) as string | string[]
  const newest = semver.maxSatisfying(Array.isArray(versions) ? versions : [versions], range)
  if (!newest) throw new Error(`no published better-sqlite3 in ${range}`)
  return newest
}

/**
 * The prebuilt binary of the newest better-sqlite3 in `range` for Node `major` on this machine,
 * compiled on first use and kept in .test-cache/prebuilds for later runs of the suite.
 */
export function betterSqlite3Prebuild(range: string, major = 24): Prebuild {
  const version = resolveVersion(range)
  const home = path.join(DIR, `better-sqlite3-${version}-node${major}`)
  const done = path.join(home, 'prebuild.json')
  if (existsSync(done)) return JSON.parse(readFileSync(done, 'utf8')) as Prebuild

  mkdirSync(DIR, { recursive: true })
  const work = mkdtempSync(path.join(DIR, 'build-'))
  try {
    const env = { ...process.env, ...nativeBuildEnv(major), PATH: stepPath(major, false), npm_config_cache: path.join(work, 'npm-cache') }
    console.log(`# compiling better-sqlite3 ${version} for Node ${major} once (no prebuilt binary can be fetched here)`)
    // npm 11 runs a dependency's install script only when the project approves it.
    writeFileSync(path.join(work, 'package.json'), JSON.stringify({ private: true, allowScripts: { 'better-sqlite3': true } }))
    execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `better-sqlite3@${version}`], {
      cwd: work,
      env,
      stdio: ['ignore', 'ignore', 'inherit']
    })
    const pkgDir = path.join(work, 'node_modules', 'better-sqlite3')
    const binary = path.join('build', 'Release', 'better_sqlite3.node')
    if (!existsSync(path.join(pkgDir, binary))) throw new Error(`npm install better-sqlite3@${version} built no ${binary}`)
    // The cache file's name as prebuild-install itself computes it (url template, abi, libc).
    const name = execFileSync(
      nodeBinary(major),
      [
        '-e',
        `const p = require('path'); const dir = p.dirname(require.resolve('prebuild-install/package.json'));
         const util = require(dir + '/util'); const pkg = require('./package.json');
         const rc = require(dir + '/rc')(pkg);
         process.stdout.write(p.basename(util.cachedPrebuild(util.getDownloadUrl({ ...rc, pkg }))))`
      ],
      { cwd: pkgDir, env, encoding: 'utf8' }
    )
    const staged = path.join(work, 'out')
    mkdirSync(staged)
    tar.create({ gzip: true, cwd: pkgDir, file: path.join(staged, name), sync: true }, [binary])
    const prebuild: Prebuild = { version, file: path.join(home, name), cacheName: name }
    // Written into the staged folder, which becomes the kept one in one rename: no half state.
    writeFileSync(path.join(staged, 'prebuild.json'), JSON.stringify(prebuild, null, 2))
    rmSync(home, { recursive: true, force: true })
    renameSync(staged, home)
    return prebuild
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

/** Files the prebuild in an npm cache, where prebuild-install finds it before any download. */
export function seedNpmCache(npmCache: string, prebuild: Prebuild): void {
  mkdirSync(path.join(npmCache, '_prebuilds'), { recursive: true })
  copyFileSync(prebuild.file, path.join(npmCache, '_prebuilds', prebuild.cacheName))
}

/**
 * Options of an action run whose install unpacks a better-sqlite3 built for Node 24 while Node 22 is
 * on PATH, as on a runner whose npm config names another Node (`target` here; a `nodedir` that
 * points at another Node's headers does the same by compiling, a minute or more): prebuild-install
 * takes the binary for `npm_config_target`'s ABI from the cache and, as that is not the running
 * Node's, does not try to load it. ktx then cannot load it.
 */
export function wrongAbiInstall(range: string): Partial<RunOptions> {
  const prebuild = betterSqlite3Prebuild(range, 24)
  const target = execFileSync(nodeBinary(24), ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim()
  return {
    pathNode: 22,
    env: { npm_config_target: target },
    // The run installs from the runner user's npm cache (no cache service here): a HOME of its own, seeded.
    home: true,
    beforeMain: (_temp, layout) => seedNpmCache(path.join(layout.home, '.npm'), prebuild)
  }
}

/**
 * A fixture whose package ships a native addon built for Node 24 only (better-sqlite3's binary,
 * as `build/Release/ktx_native.node`) and loads it at start: under another Node every command fails.
 */
export function shippedAddonFixture(range: string): FixtureOptions {
  const prebuild = betterSqlite3Prebuild(range, 24)
  const addon = path.join(path.dirname(prebuild.file), 'better_sqlite3.node')
  if (!existsSync(addon)) {
    const work = mkdtempSync(path.join(DIR, 'unpack-'))
    tar.extract({ file: prebuild.file, cwd: work, sync: true })
    renameSync(path.join(work, 'build', 'Release', 'better_sqlite3.node'), addon)
    rmSync(work, { recursive: true, force: true })
  }
  return {
    faults: ['shipped-addon'],
    manifest: { files: ['bin', 'lib', 'assets', 'fixture.json', 'build'] },
    copies: { 'build/Release/ktx_native.node': addon }
  }
}

// `tsx scripts/lib/prebuild.ts`: the build the example tarball and ktx 0.12 install, made ahead
// (npm test runs it beside the tests that must run alone).
if (process.argv[1] && path.resolve(process.argv[1]) === path.join(import.meta.dirname, 'prebuild.ts')) {
  const prebuild = betterSqlite3Prebuild(EXAMPLE.dependencies!['better-sqlite3'])
  console.log(`better-sqlite3 ${prebuild.version} for Node 24: ${prebuild.file}`)
}
