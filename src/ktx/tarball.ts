import { createHash } from 'node:crypto'
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import path from 'node:path'
import semver from 'semver'
import { glob, isDynamicPattern } from 'tinyglobby'
import { ExpectationError, SetupError } from '../engine/checks.js'

export const KTX_PACKAGE = '@kaelio/ktx'

/** What the action needs to know about the tarball before installing it. */
export interface TarballInfo {
  path: string
  name: string
  version: string
  /** `engines.node` of the package, if any. */
  enginesNode?: string
  /** `dependencies` and `optionalDependencies` as declared (what the install downloads). */
  dependencies: Record<string, string>
  /** The bundled Python asset manifest (`assets/python/manifest.json`), if the package ships one. */
  assetManifest?: AssetManifest
  /** npm's integrity of the exact file, `sha512-<base64>`, as `npm pack --json` and the registry report it. */
  integrity: string
  /** The file's sha256, hex. */
  sha256: string
  /** Every wheel bundled under `assets/python/`, by file name, as found in the tarball, with the entries inside it. */
  wheels: Record<string, { sha256: string; bytes: number; entries?: string[] }>
  /** The tarball's own size. */
  packedBytes: number
  /** Every file of the package, by its path inside it (without `package/`), with its size. */
  files: Record<string, number>
  /** What of package.json a comparison of releases reads. */
  manifest: PackageManifest
}

/** The fields of package.json that say how a release installs and what it offers. */
export interface PackageManifest {
  version?: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  engines?: Record<string, string>
  bin?: unknown
  exports?: unknown
  main?: unknown
  scripts?: Record<string, string>
}

/** The names of a zip's entries (a wheel), read from its directory without inflating anything. */
function zipEntries(unzipSync: typeof import('fflate').unzipSync, bytes: Uint8Array): string[] {
  const names: string[] = []
  try {
    unzipSync(bytes, {
      filter: file => {
        names.push(file.name)
        return false
      }
    })
  } catch {
    return []
  }
  return names.sort()
}

export interface AssetManifest {
  version?: string
  wheel?: { file?: string; sha256?: string; bytes?: number }
}

/**
 * What is wrong with the bundled wheel against `assets/python/manifest.json` (contract §9): the
 * file is there, its sha256 and byte count are the manifest's, its version is the package's.
 * Undefined when the package ships no manifest or all holds.
 */
export function wheelProblem(t: Pick<TarballInfo, 'version' | 'assetManifest' | 'wheels'>): string | undefined {
  const m = t.assetManifest
  if (!m) return undefined
  const file = m.wheel?.file
  if (!file) return 'assets/python/manifest.json names no wheel file (wheel.file)'
  const found = t.wheels[file]
  const where = `assets/python/${file}`
  if (!found) {
    const others = Object.keys(t.wheels)
    return `the bundled wheel ${where} named by assets/python/manifest.json is not in the tarball${others.length ? ` (it has ${others.join(', ')})` : ''}`
  }
  if (found.sha256 !== m.wheel?.sha256) return `the bundled wheel ${where} has sha256 ${found.sha256}, but assets/python/manifest.json says ${m.wheel?.sha256}`
  if (found.bytes !== m.wheel?.bytes) return `the bundled wheel ${where} has ${found.bytes} bytes, but assets/python/manifest.json says ${m.wheel?.bytes}`
  if (!sameRuntimeVersion(m.version, t.version)) {
    const python = pythonVersion(t.version)
    const expected = python && python !== t.version ? `${t.version} (${python} in Python's spelling)` : t.version
    return `assets/python/manifest.json is for version ${m.version}, but the package is ${expected}`
  }
  return undefined
}

/** npm prerelease tags and their PEP 440 letters: ktx writes `1.2.0-rc.1` as `1.2.0rc1` (its release scripts). */
const PRE_RELEASE: Record<string, string> = { alpha: 'a', a: 'a', beta: 'b', b: 'b', rc: 'rc', c: 'rc', pre: 'rc', preview: 'rc' }

/**
 * The PEP 440 form of an npm version, as a Python wheel carries it: `1.2.0-rc.1` → `1.2.0rc1`,
 * `1.2.0-beta.2` → `1.2.0b2`, `1.2.0-dev.3` → `1.2.0.dev3`. Undefined when there is none.
 */
export function pythonVersion(npmVersion: string): string | undefined {
  const parsed = semver.parse(npmVersion)
  if (!parsed || parsed.build.length > 0) return undefined
  const base = `${parsed.major}.${parsed.minor}.${parsed.patch}`
  const pre = parsed.prerelease.map(String)
  if (pre.length === 0) return base
  const [tag, number = '0', ...rest] = pre
  if (rest.length > 0 || !/^\d+$/.test(number)) return undefined
  const letter = PRE_RELEASE[tag.toLowerCase()]
  if (letter) return `${base}${letter}${Number(number)}`
  return tag.toLowerCase() === 'dev' ? `${base}.dev${Number(number)}` : undefined
}

/**
 * Whether the wheel manifest's version is the package's: the same text, or its PEP 440 form
 * (normalised as pip does: `1.2.0-rc.1`, `1.2.0.rc1` and `1.2.0rc1` are one version).
 */
export function sameRuntimeVersion(manifestVersion: string | undefined, npmVersion: string): boolean {
  if (manifestVersion === undefined) return false
  if (manifestVersion === npmVersion) return true
  const python = pythonVersion(npmVersion)
  return python !== undefined && normalisePep440(manifestVersion) === python
}

/** PEP 440's normalisation of pre-release spellings: case, separators, `alpha`/`beta`/`c`/`pre`/`preview`. */
function normalisePep440(version: string): string {
  return version
    .toLowerCase()
    .replace(/[-_.]?(alpha|beta|preview|pre|rc|c|a|b)[-_.]?(\d*)/, (_, tag: string, n: string) => `${PRE_RELEASE[tag]}${Number(n || 0)}`)
    .replace(/[-_.]?dev[-_.]?(\d*)/, (_, n: string) => `.dev${Number(n || 0)}`)
}

/** Resolves the `tarball` input (a path or a glob) against `baseDir` to exactly one file. */
export async function resolveTarball(pattern: string, baseDir: string): Promise<string> {
  const normalized = pattern.replace(/\\/g, '/')
  if (!isDynamicPattern(normalized)) {
    const file = path.resolve(baseDir, pattern)
    try {
      statSync(file)
    } catch {
      throw new SetupError(`Input tarball: no file at "${pattern}" (looked for ${file}, relative to ${baseDir}).`)
    }
    return file
  }
  const matches = (await glob(normalized, { cwd: baseDir, absolute: true, onlyFiles: true, dot: true })).sort()
  if (matches.length === 0) {
    throw new SetupError(`Input tarball: no file matches "${pattern}" (relative to ${baseDir}).`)
  }
  if (matches.length > 1) {
    throw new SetupError(`Input tarball: "${pattern}" matches ${matches.length} files; it must match exactly one:\n${matches.map(m => `  ${m}`).join('\n')}`)
  }
  return path.resolve(matches[0])
}

const NOT_A_TARBALL = 'is not an npm tarball (a gzip-compressed tar made by `npm pack`)'

/** Reads `package/package.json` (and the bundled Python asset manifest) out of an npm tarball. */
export async function inspectTarball(file: string): Promise<TarballInfo> {
  const stat = statSync(file)
  if (stat.isDirectory()) throw new SetupError(`Input tarball: ${file} is a directory, not a file; it ${NOT_A_TARBALL}.`)
  if (stat.size === 0) throw new SetupError(`Input tarball: ${file} is empty; it ${NOT_A_TARBALL}.`)
  const magic = Buffer.alloc(2)
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (error) {
    throw new SetupError(`Input tarball: ${file} cannot be read: ${(error as Error).message}.`)
  }
  try {
    readSync(fd, magic, 0, 2, 0)
  } finally {
    closeSync(fd)
  }
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) throw new SetupError(`Input tarball: ${file} ${NOT_A_TARBALL}: it is not gzip data.`)

  const wanted = new Map<string, string>([
    ['package/package.json', ''],
    ['package/assets/python/manifest.json', '']
  ])
  // Loaded here, not with the module: the main step's second process image, which never reads a
  // tarball unless it compares releases, starts without them.
  const [{ t: listTar }, { unzipSync }] = await Promise.all([import('tar'), import('fflate')])
  const found = new Set<string>()
  const wheels: TarballInfo['wheels'] = {}
  const files: Record<string, number> = {}
  let entries = 0
  try {
    await listTar({
      file,
      strict: true,
      onReadEntry: entry => {
        entries++
        const name = entry.path.replace(/^\.\//, '')
        if (entry.type === 'File' || entry.type === 'OldFile') files[name.replace(/^[^/]+\//, '')] = entry.size ?? 0
        const wheel = name.match(/^package\/assets\/python\/([^/]+\.whl)$/)
        if (wheel) {
          const hash = createHash('sha256')
          const chunks: Buffer[] = []
          entry.on('data', (chunk: Buffer) => {
            hash.update(chunk)
            chunks.push(chunk)
          })
          entry.on('end', () => {
            const bytes = Buffer.concat(chunks)
            wheels[wheel[1]] = { sha256: hash.digest('hex'), bytes: bytes.length, entries: zipEntries(unzipSync, bytes) }
          })
          return
        }
        if (!wanted.has(name)) return
        found.add(name)
        const chunks: Buffer[] = []
        entry.on('data', (chunk: Buffer) => chunks.push(chunk))
        entry.on('end', () => wanted.set(name, Buffer.concat(chunks).toString('utf8')))
      }
    })
  } catch (error) {
    throw new SetupError(`Input tarball: ${file} ${NOT_A_TARBALL}: ${(error as Error).message}`)
  }
  if (entries === 0) throw new SetupError(`Input tarball: ${file} ${NOT_A_TARBALL}: it holds no files.`)
  if (!found.has('package/package.json')) {
    throw new SetupError(`Input tarball: ${file} has no package/package.json, so it ${NOT_A_TARBALL}.`)
  }

  let pkg: { name?: unknown; version?: unknown; bin?: unknown; engines?: { node?: unknown }; dependencies?: unknown; optionalDependencies?: unknown } & Record<
    string,
    unknown
  >
  try {
    pkg = JSON.parse(wanted.get('package/package.json') ?? '')
  } catch (error) {
    throw new SetupError(`Input tarball: package/package.json in ${file} is not valid JSON: ${(error as Error).message}`)
  }
  const name = typeof pkg.name === 'string' ? pkg.name : ''
  const version = typeof pkg.version === 'string' ? pkg.version : ''
  if (!name || !version) throw new SetupError(`Input tarball: package/package.json in ${file} lacks a name or a version.`)
  const bins = typeof pkg.bin === 'string' ? { [name.replace(/^@[^/]+\//, '')]: pkg.bin } : (pkg.bin ?? {})
  if (typeof bins !== 'object' || !('ktx' in (bins as object))) {
    const has = Object.keys(bins as object)
    const bins_ = has.length ? has.join(', ') : 'none'
    // @kaelio/ktx without its bin is a broken release; any other package is the wrong input.
    if (name === KTX_PACKAGE) throw new ExpectationError(`${name}@${version} declares no "ktx" bin (bins: ${bins_}) in its package.json`)
    throw new SetupError(`Input tarball: ${name}@${version} has no "ktx" bin (bins: ${bins_}); is this the ${KTX_PACKAGE} tarball?`)
  }

  let assetManifest: AssetManifest | undefined
  const assetText = wanted.get('package/assets/python/manifest.json')
  if (assetText) {
    try {
      assetManifest = JSON.parse(assetText) as AssetManifest
    } catch {
      assetManifest = undefined
    }
  }
  const bytes = readFileSync(file)
  return {
    path: file,
    name,
    version,
    packedBytes: bytes.length,
    files,
    manifest: {
      version,
      dependencies: stringMap(pkg.dependencies),
      optionalDependencies: stringMap(pkg.optionalDependencies),
      peerDependencies: stringMap(pkg.peerDependencies),
      engines: stringMap(pkg.engines),
      bin: pkg.bin,
      exports: pkg.exports,
      main: pkg.main,
      scripts: stringMap(pkg.scripts)
    },
    integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    wheels,
    enginesNode: typeof pkg.engines?.node === 'string' ? pkg.engines.node : undefined,
    dependencies: { ...stringMap(pkg.dependencies), ...stringMap(pkg.optionalDependencies) },
    assetManifest
  }
}

function stringMap(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {}
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'))
}
