import { createHash } from 'node:crypto'
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { zipSync } from 'fflate'
import { CACHE, FIXTURE_CLI } from './paths.js'

export interface FixtureOptions {
  /** Package version (default 0.12.0); decides the message spellings like the real CLI's. */
  version?: string
  generation?: 'admin' | 'runtime'
  /** Faults baked into the package (see __tests__/fixtures/ktx-cli/README.md). */
  faults?: string[]
  /** Extra dependencies merged into package.json (e.g. one that cannot be installed). */
  dependencies?: Record<string, string>
  /** Overrides of other package.json fields (name, bin, engines…). */
  manifest?: Record<string, unknown>
  /** Pack a bundled wheel whose bytes differ from what assets/python/manifest.json says. */
  tamperedWheel?: boolean
  /** The wheel's version (default: the package's, in Python's spelling as ktx writes it). */
  wheelVersion?: string
  /** More entries inside the bundled wheel. */
  wheelEntries?: string[]
  /** More files of the package, by path under lib/ (e.g. `{ 'lib/legacy.js': '…' }`). */
  files?: Record<string, string>
  /** Files copied into the package (path in the package → the file to copy), e.g. a native addon. */
  copies?: Record<string, string>
}

/** The Python spelling ktx's release scripts give the wheel: `1.2.0-rc.1` → `1.2.0rc1`; rc is the only prerelease they allow. */
export function ktxPythonVersion(version: string): string {
  const m = version.match(/^(\d+\.\d+\.\d+)(?:-rc\.(\d+))?$/)
  if (!m) throw new Error(`ktx's release scripts have no Python version for ${version}`)
  return m[2] === undefined ? m[1] : `${m[1]}rc${m[2]}`
}

/**
 * The example tarball (README, `npm run example`, the workflow, the benchmark): the fixture CLI
 * with ktx 0.12's own dependency on better-sqlite3 12, which has to be built or fetched at install
 * time like the real release. The tests' default fixture depends on better-sqlite3 13, whose npm
 * package carries its binaries, so that they install in a second.
 */
export const EXAMPLE: FixtureOptions = { dependencies: { 'better-sqlite3': '^12.9.0' } }

/** The entries of the fixture's wheel, as a real one of ktx has them. */
function wheelEntries(version: string, extra: string[]): Record<string, Uint8Array> {
  const entries = ['kaelio_ktx/__init__.py', 'semantic_layer/__init__.py', 'ktx_daemon/__init__.py', 'ktx_daemon/server.py', ...extra]
  const info = `kaelio_ktx-${version}.dist-info`
  const text = (s: string): Uint8Array => new TextEncoder().encode(s)
  return Object.fromEntries([
    ...entries.map(name => [name, text(`# ${name} of kaelio-ktx ${version}\n`)]),
    [`${info}/METADATA`, text(`Metadata-Version: 2.1\nName: kaelio-ktx\nVersion: ${version}\n`)],
    [`${info}/WHEEL`, text('Wheel-Version: 1.0\nTag: py3-none-any\n')]
  ])
}

/** Writes the bundled wheel (a zip, as a wheel is) and its asset manifest for a (Python) version into a fixture package dir. */
export function writeAssets(dir: string, version: string, extraEntries: string[] = []): void {
  const assets = path.join(dir, 'assets', 'python')
  rmSync(assets, { recursive: true, force: true })
  mkdirSync(assets, { recursive: true })
  const file = `kaelio_ktx-${version}-py3-none-any.whl`
  // A fixed time: the same entries give the same bytes, and so the same sha256.
  const wheel = Buffer.from(zipSync(wheelEntries(version, extraEntries), { mtime: new Date('2026-01-01T00:00:00Z') }))
  writeFileSync(path.join(assets, file), wheel)
  const manifest = {
    schemaVersion: 1,
    distributionName: 'kaelio-ktx',
    normalizedName: 'kaelio_ktx',
    version,
    wheel: { file, sha256: createHash('sha256').update(wheel).digest('hex'), bytes: wheel.length }
  }
  writeFileSync(path.join(assets, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
}

/** Packs the fixture CLI with `npm pack` (cached by options); returns the tarball's path. */
export function packFixture(options: FixtureOptions = {}): string {
  const version = options.version ?? '0.12.0'
  const key = createHash('sha256')
    .update(JSON.stringify({ ...options, version }))
    .update(fixtureSourceHash())
    .digest('hex')
    .slice(0, 12)
  const out = path.join(CACHE, 'tarballs', key)
  const wanted = path.join(out, `kaelio-ktx-${version}.tgz`)
  if (existsSync(wanted) && existsSync(`${wanted}.pack.json`)) return wanted

  // Test files run side by side: each packs in a dir of its own and moves the result into place.
  const work = path.join(CACHE, 'fixture-src', `${key}-${process.pid}`)
  rmSync(work, { recursive: true, force: true })
  cpSync(FIXTURE_CLI, work, { recursive: true, filter: src => !src.includes('node_modules') })
  const pkg = JSON.parse(readFileSync(path.join(work, 'package.json'), 'utf8'))
  pkg.version = version
  pkg.dependencies = { ...pkg.dependencies, ...options.dependencies }
  Object.assign(pkg, options.manifest)
  writeFileSync(path.join(work, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`)
  writeFileSync(path.join(work, 'fixture.json'), `${JSON.stringify({ generation: options.generation ?? 'admin', faults: options.faults ?? [] }, null, 2)}\n`)
  const wheelVersion = options.wheelVersion ?? ktxPythonVersion(version)
  writeAssets(work, wheelVersion, options.wheelEntries)
  for (const [rel, text] of Object.entries(options.files ?? {})) writeFileSync(path.join(work, rel), text)
  for (const [rel, from] of Object.entries(options.copies ?? {})) {
    mkdirSync(path.dirname(path.join(work, rel)), { recursive: true })
    copyFileSync(from, path.join(work, rel))
  }
  if (options.tamperedWheel) writeFileSync(path.join(work, 'assets', 'python', `kaelio_ktx-${wheelVersion}-py3-none-any.whl`), 'tampered wheel\n')
  mkdirSync(out, { recursive: true })
  const staging = path.join(out, `.staging-${process.pid}`)
  mkdirSync(staging, { recursive: true })
  // npm is a .cmd shim on Windows, which only the shell can start.
  const json = execFileSync('npm', ['pack', '--json', '--pack-destination', staging], { cwd: work, encoding: 'utf8', shell: process.platform === 'win32' })
  const [packed] = JSON.parse(json.slice(json.indexOf('['))) as { filename: string; integrity: string }[]
  const file = path.join(staging, packed.filename.replace(/^@[^/]+\//, '').replace(/\//g, '-'))
  writeFileSync(`${file}.pack.json`, JSON.stringify(packed))
  renameSync(`${file}.pack.json`, `${wanted}.pack.json`)
  renameSync(file, wanted)
  rmSync(work, { recursive: true, force: true })
  rmSync(staging, { recursive: true, force: true })
  return wanted
}

/** What `npm pack --json` reported for a tarball packFixture made (its integrity, among others). */
export function packReport(tarball: string): { filename: string; integrity: string } {
  return JSON.parse(readFileSync(`${tarball}.pack.json`, 'utf8'))
}

/** Hash of the fixture's sources, so that a changed fixture is packed anew. */
function fixtureSourceHash(): string {
  const hash = createHash('sha256')
  for (const rel of readdirSync(FIXTURE_CLI, { recursive: true, encoding: 'utf8' }).sort()) {
    const file = path.join(FIXTURE_CLI, rel)
    if (!rel.includes('node_modules') && statSync(file).isFile()) hash.update(rel).update(readFileSync(file))
  }
  return hash.digest('hex')
}
