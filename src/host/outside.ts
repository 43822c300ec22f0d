// What lies outside the sandbox and must not change while the release runs: the checkout, the
// runner's copies of the job's actions, the runner user's dotfiles. Their folders are watched from
// before the release first runs (the OS reports every entry written, created or removed in them,
// at no cost per phase); where the OS will not watch, they are compared by size and mtime instead.
// After each phase the changes so far fail the run, naming the first paths. They cannot be undone.
import { spawnSync } from 'node:child_process'
import { existsSync, type FSWatcher, lstatSync, readdirSync, type Stats, watch } from 'node:fs'
import path from 'node:path'
import { tempParent } from './sandbox.js'

/** Entries read at most per tree, so that a huge tree cannot stall the run. */
const MAX_ENTRIES = 20_000
/** Paths named at most in a failure. */
const NAMED = 5
/** Entries of ~/.config and ~/.ssh looked at (a desktop's ~/.config can be large; a runner's is small). */
const DOT_DIR_ENTRIES = 2000
/** Entries of a workspace that is no git checkout looked at. */
const PLAIN_WORKSPACE_ENTRIES = 2000

/** One place watched: what it is called in a failure, and the paths changed in it since the last look. */
export interface Watched {
  /** e.g. "the checkout", "the job's actions", "the runner user's HOME". */
  what: string
  changes(): string[]
  close(): void
}

const fingerprint = (s: Stats): string => `${s.size}:${s.mtimeMs}:${s.mode}`

function fingerprintOf(file: string): string {
  try {
    return fingerprint(lstatSync(file))
  } catch {
    return 'gone'
  }
}

/** Entries of a folder, relative, at most `limit`; none when it cannot be read. */
function entriesOf(root: string, limit: number): string[] {
  try {
    return readdirSync(root, { recursive: true, encoding: 'utf8' }).slice(0, limit)
  } catch {
    return []
  }
}

/** The folders of a tree (the root included), at most `limit` entries looked at. */
function foldersOf(root: string, limit: number): string[] {
  const folders = [root]
  for (const rel of entriesOf(root, limit)) {
    try {
      if (lstatSync(path.join(root, rel)).isDirectory()) folders.push(path.join(root, rel))
    } catch {
      // Gone while we looked.
    }
  }
  return folders
}

/**
 * A set of folders, each watched on its own (not recursively): every entry the OS reports written,
 * created, removed or renamed in one of them, kept when `keep` says so, is a change. Where the OS
 * will not watch (no more watches to give, say), the entries are compared by size and mtime.
 */
export class FolderWatch implements Watched {
  private readonly changed = new Set<string>()
  private readonly watchers: FSWatcher[] = []
  private polled?: { files: () => string[]; seen: Map<string, string> }

  constructor(
    readonly what: string,
    folders: string[],
    private readonly keep: (file: string) => boolean,
    private readonly show: (file: string) => string = file => file
  ) {
    try {
      for (const folder of folders) {
        const watcher = watch(folder, { persistent: false }, (_event, name) => {
          const file = name ? path.join(folder, name.toString()) : folder
          if (this.keep(file)) this.changed.add(file)
        })
        watcher.on('error', () => {})
        this.watchers.push(watcher)
      }
    } catch {
      this.close()
      const files = (): string[] =>
        folders.flatMap(folder =>
          entriesOf(folder, MAX_ENTRIES)
            .map(name => path.join(folder, name))
            .filter(this.keep)
        )
      this.polled = { files, seen: new Map(files().map(file => [file, fingerprintOf(file)])) }
    }
  }

  changes(): string[] {
    if (this.polled) {
      const now = new Map(this.polled.files().map(file => [file, fingerprintOf(file)]))
      for (const file of new Set([...now.keys(), ...this.polled.seen.keys()])) if (now.get(file) !== this.polled.seen.get(file)) this.changed.add(file)
      this.polled.seen = now
    }
    const found = [...this.changed].map(this.show).sort()
    this.changed.clear()
    return [...new Set(found)]
  }

  close(): void {
    for (const watcher of this.watchers.splice(0)) watcher.close()
  }
}

/** Whether `file` is `prefix` or lies below it. */
const under = (file: string, prefix: string): boolean => file === prefix || file.startsWith(`${prefix}${path.sep}`)

/**
 * A git checkout: the folders of the files git knows (tracked, and untracked but not ignored, as
 * `git ls-files` lists them once, before the release runs), and of `.git` its config and hooks,
 * which run in the job's later git commands. Undefined when it is no git checkout.
 */
export function gitCheckout(dir: string, ignore: string[]): Watched | undefined {
  if (!existsSync(path.join(dir, '.git'))) return undefined
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 30_000,
    windowsHide: true
  })
  if (listed.status !== 0) return undefined
  const files = listed.stdout
    .split('\0')
    .filter(Boolean)
    .slice(0, MAX_ENTRIES)
    .map(rel => path.join(dir, rel))
  const gitDir = path.join(dir, '.git')
  const hooks = path.join(gitDir, 'hooks')
  const folders = [...new Set([dir, ...files.map(file => path.dirname(file)), gitDir, ...foldersOf(hooks, 200)])].filter(folder => existsSync(folder))
  const keep = (file: string): boolean => {
    if (ignore.some(prefix => under(file, prefix))) return false
    // Of git's own folder only what runs code later: its config and its hooks.
    if (under(file, gitDir)) return file === path.join(gitDir, 'config') || under(file, hooks)
    return true
  }
  return new FolderWatch('the checkout', folders, keep)
}

/** A workspace that is no git checkout: its folders, as far as the first entries go. */
function plainWorkspace(dir: string, ignore: string[]): Watched {
  const keep = (file: string): boolean => !ignore.some(prefix => under(file, prefix))
  return new FolderWatch('the workspace', foldersOf(dir, PLAIN_WORKSPACE_ENTRIES).filter(keep), keep)
}

/** The runner user's dotfiles at the top of HOME, and everything in `~/.config` and `~/.ssh`. */
export function homeDotfiles(home: string): Watched {
  const deep = ['.config', '.ssh'].map(name => path.join(home, name))
  const keep = (file: string): boolean => {
    if (deep.some(dir => under(file, dir))) return true
    if (path.dirname(file) !== home || !path.basename(file).startsWith('.')) return false
    // A dotfile, not a folder of caches (~/.npm, ~/.cache): the folder's own entry changes only when it is made or removed.
    try {
      return !lstatSync(file).isDirectory()
    } catch {
      return true
    }
  }
  const folders = [home, ...deep.filter(dir => existsSync(dir)).flatMap(dir => foldersOf(dir, DOT_DIR_ENTRIES))]
  return new FolderWatch("the runner user's HOME", folders, keep, file => `~${path.sep}${path.relative(home, file)}`)
}

/** Snapshots of the watched places, and what changed in them since. */
export class OutsideWatch {
  constructor(private readonly places: Watched[]) {}

  /** What changed since the last look, named for a failure; undefined when nothing did. */
  async check(): Promise<string | undefined> {
    // Let the OS's reports of what was written up to now reach their watchers first.
    await new Promise(resolve => setImmediate(resolve))
    await new Promise(resolve => setImmediate(resolve))
    const problems: string[] = []
    for (const place of this.places) {
      const paths = place.changes()
      if (paths.length === 0) continue
      const named = paths.slice(0, NAMED).join(', ')
      problems.push(`${place.what}: ${named}${paths.length > NAMED ? ` and ${paths.length - NAMED} more` : ''}`)
    }
    return problems.length === 0 ? undefined : `the release changed files outside its sandbox, in ${problems.join('; in ')}`
  }

  close(): void {
    for (const place of this.places) place.close()
  }
}

/** Where things the release must not touch live: the checkout, the runner's action copies, HOME. */
export interface OutsidePlaces {
  workspace?: string
  /** `<work>/_actions` of a runner (the job's other actions' code, this one's too). */
  actionsDir?: string
  home?: string
  /** Paths inside them that the run itself writes (the sandbox's parent, the reports). */
  ignore: string[]
}

/** The watch of these places, taken now (before the release first runs). */
export function outsideWatch(places: OutsidePlaces): OutsideWatch {
  const watched: Watched[] = []
  const { workspace, actionsDir, home, ignore } = places
  if (workspace && existsSync(workspace) && !ignore.some(prefix => under(workspace, prefix))) {
    watched.push(gitCheckout(workspace, ignore) ?? plainWorkspace(workspace, ignore))
  }
  if (actionsDir && existsSync(actionsDir)) watched.push(new FolderWatch("the job's actions", foldersOf(actionsDir, MAX_ENTRIES), () => true))
  if (home && existsSync(home)) watched.push(homeDotfiles(home))
  return new OutsideWatch(watched)
}

/**
 * What the run itself writes, wherever it lies, never taken for the release's doing: the temp
 * parent (the sandboxes, the download caches, the reports) and the runner user's own cache or
 * store that the installs use where the action owns none.
 */
export function ownedByTheRun(ctx: { userCaches?: { manager?: string; npm?: string } }, more: string[] = []): string[] {
  return [tempParent(), ctx.userCaches?.manager, ctx.userCaches?.npm, ...more].filter((dir): dir is string => Boolean(dir))
}
