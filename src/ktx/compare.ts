// What changed between the release users have and the one under test, read from the two tarballs
// alone: files, sizes, what package.json says about installing and running it, the bundled wheel.
import picomatch from 'picomatch'
import semver from 'semver'
import { pythonVersion, type TarballInfo } from './tarball.js'
import { formatBytes, type SizeLimit, type Table } from '../engine/format.js'

export interface SizeChange {
  before: number
  after: number
}

export interface FieldChange {
  field: string
  before?: string
  after?: string
}

export interface Comparison {
  /** The release compared with. */
  base: { name: string; version: string }
  version: { before: string; after: string; greater: boolean }
  files: {
    /** How many files each has. */
    count: SizeChange
    added: string[]
    removed: string[]
    /** The ten files that grew most, in bytes. */
    grown: { path: string; before: number; after: number }[]
  }
  packed: SizeChange
  unpacked: SizeChange
  /** dependencies, optionalDependencies and peerDependencies added, removed or with another range. */
  dependencies: FieldChange[]
  /** engines, bin, exports and main. */
  entryPoints: FieldChange[]
  /** preinstall, install and postinstall: the scripts that run on users' machines. */
  installScripts: { added: FieldChange[]; removed: FieldChange[]; changed: FieldChange[] }
  wheel?: {
    before?: { file: string; version?: string; bytes: number }
    after?: { file: string; version?: string; bytes: number }
    entriesAdded: string[]
    entriesRemoved: string[]
  }
}

const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall']
const DEPENDENCY_KINDS = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const

const sorted = (list: Iterable<string>): string[] => [...list].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
const json = (value: unknown): string | undefined => (value === undefined ? undefined : typeof value === 'string' ? value : JSON.stringify(value))

/** Entries of `after` that `before` lacks, and the reverse. */
function difference(before: Iterable<string>, after: Iterable<string>): { added: string[]; removed: string[] } {
  const b = new Set(before)
  const a = new Set(after)
  return { added: sorted([...a].filter(x => !b.has(x))), removed: sorted([...b].filter(x => !a.has(x))) }
}

/** Keys of two maps whose values differ (added, removed or changed), as field changes named `prefix.key`. */
function mapChanges(prefix: string, before: Record<string, string> = {}, after: Record<string, string> = {}): FieldChange[] {
  return sorted(new Set([...Object.keys(before), ...Object.keys(after)]))
    .filter(key => before[key] !== after[key])
    .map(key => ({ field: `${prefix}.${key}`, before: before[key], after: after[key] }))
}

/** The bundled wheel a manifest names (or the only one there is). */
function wheelOf(t: TarballInfo): { file: string; version?: string; bytes: number; entries: string[] } | undefined {
  const file = t.assetManifest?.wheel?.file ?? Object.keys(t.wheels)[0]
  const found = file ? t.wheels[file] : undefined
  return found && file ? { file, version: t.assetManifest?.version, bytes: found.bytes, entries: found.entries ?? [] } : undefined
}

const total = (files: Record<string, number>): number => Object.values(files).reduce((sum, n) => sum + n, 0)

/** The bundled wheel's path in the package: the file assets/python/manifest.json names (or the only wheel there is). */
function wheelPath(t: TarballInfo): string | undefined {
  const file = wheelOf(t)?.file
  return file ? `assets/python/${file}` : undefined
}

/**
 * The files of both releases, paired: a path both have is one file; of the rest, the bundled wheels
 * (each the file its manifest names, whatever its name carries) are one file, and so are two paths
 * that differ only by the version they carry, in npm's or Python's spelling. What is left is added
 * or removed, so that no path is ever on both sides.
 */
function pairFiles(base: TarballInfo, head: TarballInfo): { kept: [string, string][]; added: string[]; removed: string[] } {
  const kept: [string, string][] = Object.keys(head.files)
    .filter(p => p in base.files)
    .map(p => [p, p])
  const rest = (t: TarballInfo): string[] => Object.keys(t.files).filter(p => !(p in (t === base ? head.files : base.files)))
  const key = (t: TarballInfo): ((p: string) => string) => {
    const wheel = wheelPath(t)
    const spellings = [...new Set([t.version, pythonVersion(t.version)].filter((v): v is string => Boolean(v)))].sort((a, b) => b.length - a.length)
    return p => (p === wheel ? '{bundled wheel}' : spellings.reduce((name, v) => name.split(v).join('{version}'), p))
  }
  const baseKey = key(base)
  const before = new Map(rest(base).map(p => [baseKey(p), p]))
  const headKey = key(head)
  const added: string[] = []
  for (const p of rest(head)) {
    const was = before.get(headKey(p))
    if (was === undefined) {
      added.push(p)
      continue
    }
    before.delete(headKey(p))
    kept.push([was, p])
  }
  return { kept, added: sorted(added), removed: sorted(before.values()) }
}

/** What changed from `base` (what users have) to `head` (the release under test). */
export function compareReleases(base: TarballInfo, head: TarballInfo): Comparison {
  const { kept, added, removed } = pairFiles(base, head)
  const files = { added, removed }
  const grown = kept
    .map(([was, is]) => ({ path: is, before: base.files[was], after: head.files[is] }))
    .filter(g => g.after > g.before)
    .sort((x, y) => y.after - y.before - (x.after - x.before) || (x.path < y.path ? -1 : 1))
    .slice(0, 10)
  const dependencies = DEPENDENCY_KINDS.flatMap(kind => mapChanges(kind, base.manifest[kind], head.manifest[kind]))
  const entryPoints = [
    ...mapChanges('engines', base.manifest.engines, head.manifest.engines),
    ...(['bin', 'exports', 'main'] as const)
      .map(field => ({ field, before: json(base.manifest[field]), after: json(head.manifest[field]) }))
      .filter(c => c.before !== c.after)
  ]
  const scripts = (t: TarballInfo): Record<string, string> =>
    Object.fromEntries(INSTALL_SCRIPTS.filter(name => t.manifest.scripts?.[name] !== undefined).map(name => [name, t.manifest.scripts![name]]))
  const scriptChanges = mapChanges('scripts', scripts(base), scripts(head))
  const wheelBefore = wheelOf(base)
  const wheelAfter = wheelOf(head)
  const entries = difference(wheelBefore?.entries ?? [], wheelAfter?.entries ?? [])
  const strip = (w?: ReturnType<typeof wheelOf>) => w && { file: w.file, version: w.version, bytes: w.bytes }
  return {
    base: { name: base.name, version: base.version },
    version: {
      before: base.version,
      after: head.version,
      greater: Boolean(semver.valid(base.version) && semver.valid(head.version) && semver.gt(head.version, base.version))
    },
    files: { count: { before: Object.keys(base.files).length, after: Object.keys(head.files).length }, ...files, grown },
    packed: { before: base.packedBytes, after: head.packedBytes },
    unpacked: { before: total(base.files), after: total(head.files) },
    dependencies,
    entryPoints,
    installScripts: {
      added: scriptChanges.filter(c => c.before === undefined),
      removed: scriptChanges.filter(c => c.after === undefined),
      changed: scriptChanges.filter(c => c.before !== undefined && c.after !== undefined)
    },
    wheel:
      wheelBefore || wheelAfter
        ? { before: strip(wheelBefore), after: strip(wheelAfter), entriesAdded: entries.added, entriesRemoved: entries.removed }
        : undefined
  }
}

/** The change of a size: bytes and percent (of the size before; 0 before is no percent). */
export function sizeChange(size: SizeChange): { bytes: number; percent?: number } {
  const bytes = size.after - size.before
  return { bytes, percent: size.before > 0 ? Math.round((bytes / size.before) * 1000) / 10 : undefined }
}

const signed = (n: number, text: string): string => (n > 0 ? `+${text}` : text)

/** `+612.3 kB (+23.4%)`. */
export function formatChange(size: SizeChange): string {
  const { bytes, percent } = sizeChange(size)
  return `${signed(bytes, formatBytes(bytes))}${percent === undefined ? '' : ` (${signed(percent, `${percent}%`)})`}`
}

/** The gates a comparison can fail. */
export interface CompareGates {
  maxSizeIncrease?: SizeLimit
  /** Globs of paths that must not disappear; `['**']` for any file. */
  protectedFiles?: string[]
  failOnNewInstallScripts: boolean
  failOnVersionNotGreater: boolean
}

/** What a comparison fails, as headlines that name the number and the limit; empty when it passes every gate. */
export function gateFailures(c: Comparison, gates: CompareGates, limitText: { maxSizeIncrease?: string; protectedFiles?: string }): string[] {
  const failures: string[] = []
  if (gates.failOnVersionNotGreater && !c.version.greater) {
    failures.push(`the version ${c.version.after} is not greater than ${c.version.before}, the release it is compared with (fail-on-version-not-greater)`)
  }
  const limit = gates.maxSizeIncrease
  if (limit) {
    const { bytes, percent } = sizeChange(c.unpacked)
    const over = 'percent' in limit ? percent !== undefined && percent > limit.percent : bytes > limit.bytes
    if (over) {
      failures.push(
        `the unpacked size grew by ${formatChange(c.unpacked)}, from ${formatBytes(c.unpacked.before)} to ${formatBytes(c.unpacked.after)}: over max-size-increase ${limitText.maxSizeIncrease}`
      )
    }
  }
  if (gates.protectedFiles?.length) {
    const protectedBy = picomatch(gates.protectedFiles, { dot: true })
    const gone = c.files.removed.filter(p => protectedBy(p))
    if (gone.length > 0) {
      const shown = gone.slice(0, 5).join(', ') + (gone.length > 5 ? ` and ${gone.length - 5} more` : '')
      failures.push(`${gone.length} file(s) removed that fail-on-removed-files (${limitText.protectedFiles}) protects: ${shown}`)
    }
  }
  const added = c.installScripts.added
  if (gates.failOnNewInstallScripts && added.length > 0) {
    failures.push(
      `install script(s) added, which run on every user's machine: ${added.map(s => `${s.field.replace('scripts.', '')} "${s.after}"`).join(', ')} (fail-on-new-install-scripts)`
    )
  }
  return failures
}

/** Rows at most per list of paths. */
const LISTED = 50

const none = (text?: string): string => text ?? '—'

function listed(paths: string[]): string[][] {
  const rows = paths.slice(0, LISTED).map(p => [p])
  return paths.length > LISTED ? [...rows, [`… and ${paths.length - LISTED} more`]] : rows
}

/** The comparison as tables: sizes and version first, then only what changed. */
export function comparisonTables(c: Comparison): Table[] {
  const base = `${c.base.name}@${c.base.version}`
  const count = (size: SizeChange): string[] => [formatBytes(size.before), formatBytes(size.after), formatChange(size)]
  const tables: Table[] = [
    {
      title: `Compared with ${base}`,
      header: ['', base, 'this release', 'change'],
      rows: [
        ['version', c.version.before, c.version.after, c.version.greater ? 'greater' : 'not greater'],
        ['packed size', ...count(c.packed)],
        ['unpacked size', ...count(c.unpacked)],
        ['files', String(c.files.count.before), String(c.files.count.after), `+${c.files.added.length} −${c.files.removed.length}`]
      ]
    }
  ]
  if (c.files.added.length > 0) tables.push({ title: 'Files added', header: ['path'], rows: listed(c.files.added) })
  if (c.files.removed.length > 0) tables.push({ title: 'Files removed', header: ['path'], rows: listed(c.files.removed) })
  if (c.files.grown.length > 0) {
    tables.push({
      title: 'Files that grew most',
      header: ['path', 'before', 'after', 'change'],
      rows: c.files.grown.map(g => [g.path, formatBytes(g.before), formatBytes(g.after), formatChange(g)])
    })
  }
  const fields = (title: string, changes: FieldChange[]): void => {
    if (changes.length > 0) tables.push({ title, header: ['field', base, 'this release'], rows: changes.map(f => [f.field, none(f.before), none(f.after)]) })
  }
  fields('Dependencies', c.dependencies)
  fields('Engines, bin, exports, main', c.entryPoints)
  fields('Install scripts', [...c.installScripts.added, ...c.installScripts.removed, ...c.installScripts.changed])
  const w = c.wheel
  if (w && (w.before?.file !== w.after?.file || w.before?.bytes !== w.after?.bytes || w.entriesAdded.length + w.entriesRemoved.length > 0)) {
    tables.push({
      title: 'Bundled wheel',
      header: ['', base, 'this release'],
      rows: [
        ['file', none(w.before?.file), none(w.after?.file)],
        ['version', none(w.before?.version), none(w.after?.version)],
        ['bytes', w.before ? formatBytes(w.before.bytes) : '—', w.after ? formatBytes(w.after.bytes) : '—'],
        ['entries', '', `+${w.entriesAdded.length} −${w.entriesRemoved.length}`],
        ...w.entriesAdded.slice(0, LISTED).map(e => ['added', '', e]),
        ...w.entriesRemoved.slice(0, LISTED).map(e => ['removed', e, ''])
      ]
    })
  }
  return tables
}
