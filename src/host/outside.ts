// What lies outside the sandbox and must not change while the release runs: the checkout, the
// runner's copies of the job's actions, the runner user's dotfiles. Their folders are watched from
// before the release first runs (the OS reports every entry written, created or removed in them,
// at no cost per phase), and what each entry was then is kept; where the OS will not watch, they
// are compared file by file instead. After each phase the net changes so far fail the run, each
// file named relative to its root. They cannot be undone.
import { spawnSync } from 'node:child_process'
import { existsSync, type FSWatcher, lstatSync, readdirSync, type Stats, watch } from 'node:fs'
import path from 'node:path'
import { tempParent } from './sandbox.js'

/** Entries read at most per tree, so that a huge tree cannot stall the run. */
const MAX_ENTRIES = 20_000
/** Paths named at most per watched place in a failure (a new folder counts as the files inside it). */
const NAMED = 10
/** Entries of ~/.config and ~/.ssh looked at (a desktop's ~/.config can be large; a runner's is small). */
const DOT_DIR_ENTRIES = 2000
/** Entries of a workspace that is no git checkout looked at. */
const PLAIN_WORKSPACE_ENTRIES = 2000

/** A net change of one file since the last look: there now and not before, gone, or other than it was. */
export interface Change {
  /** The path as a failure names it: relative to the watched root (`~/…` for HOME). */
  path: string
  kind: 'added' | 'removed' | 'modified'
}

/** One place watched: what it is called in a failure, its root, and the net changes in it since the last look. */
export interface Watched {
  /** e.g. "the checkout", "the job's actions", "the runner user's dotfiles". */
  what: string
  /** The folder the paths are relative to. */
  root: string
  changes(): { changes: Change[]; transient: string[] }
  close(): void
}

/** What a file is, as far as a change goes: its kind, size, mtime and mode ('gone' when it is not there). */
const fingerprint = (s: Stats): string => `${s.isDirectory() ? 'dir' : 'file'}:${s.size}:${s.mtimeMs}:${s.mode}`

function fingerprintOf(file: string): string {
  try {
    return fingerprint(lstatSync(file))
  } catch {
    return GONE
  }
}
const GONE = 'gone'
const isDir = (print: string | undefined): boolean => print?.startsWith('dir:') === true

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

/** Each entry of each folder (not below), with its fingerprint, as kept by `keep`. */
function entriesWithPrints(folders: string[], keep: (file: string) => boolean): Map<string, string> {
  const prints = new Map<string, string>()
  for (const folder of folders) {
    let names: string[] = []
    try {
      names = readdirSync(folder)
    } catch {
      continue
    }
    for (const name of names) {
      const file = path.join(folder, name)
      if (keep(file)) prints.set(file, fingerprintOf(file))
    }
  }
  return prints
}

/**
 * A set of folders, each watched on its own (not recursively), with what each entry was when the
 * watch began. A change is what differs at a look from what was there before: a file added (a new
 * folder counts as the files inside it), removed or modified. A file that came and went between
 * two looks is no change (`transient` names it). Where the OS will not watch (no more watches to
 * give, say), the entries of the folders and below are compared by fingerprint at each look.
 */
export class FolderWatch implements Watched {
  private readonly events = new Set<string>()
  private readonly watchers: FSWatcher[] = []
  private readonly before: Map<string, string>
  private polled?: () => Map<string, string>

  constructor(
    readonly what: string,
    readonly root: string,
    folders: string[],
    private readonly keep: (file: string) => boolean,
    private readonly show: (rel: string) => string = rel => rel
  ) {
    try {
      for (const folder of folders) {
        const watcher = watch(folder, { persistent: false }, (_event, name) => {
          const file = name ? path.join(folder, name.toString()) : folder
          if (this.keep(file)) this.events.add(file)
        })
        watcher.on('error', () => {})
        this.watchers.push(watcher)
      }
      this.before = entriesWithPrints(folders, keep)
    } catch {
      this.close()
      const everything = (): Map<string, string> =>
        new Map(
          folders.flatMap(folder =>
            entriesOf(folder, MAX_ENTRIES)
              .map(name => path.join(folder, name))
              .filter(this.keep)
              .map(file => [file, fingerprintOf(file)] as const)
          )
        )
      this.polled = everything
      this.before = everything()
    }
  }

  changes(): { changes: Change[]; transient: string[] } {
    const now = this.polled?.()
    const candidates = now ? new Set([...now.keys(), ...this.before.keys()]) : new Set(this.events)
    this.events.clear()
    const changes: Change[] = []
    const transient: string[] = []
    const name = (file: string): string => this.show(path.relative(this.root, file) || '.')
    for (const file of [...candidates].sort()) {
      const was = this.before.get(file)
      const is = now ? (now.get(file) ?? GONE) : fingerprintOf(file)
      if (is === (was ?? GONE)) {
        if (was === undefined && !now) transient.push(name(file))
        continue
      }
      if (is === GONE) {
        this.before.delete(file)
        // Polled, a folder's files are candidates of their own; watched, the folder is named.
        if (!(now && isDir(was))) changes.push({ path: `${name(file)}${isDir(was) ? path.sep : ''}`, kind: 'removed' })
        continue
      }
      this.before.set(file, is)
      // A folder that is new is the files inside it; an existing one whose own entry changed is no change of a file.
      if (isDir(is)) {
        if (was !== undefined && isDir(was)) continue
        if (now) continue // polled: its files are candidates of their own
        const inside = entriesOf(file, MAX_ENTRIES).filter(rel => !isDir(fingerprintOf(path.join(file, rel))))
        if (inside.length === 0) changes.push({ path: `${name(file)}${path.sep}`, kind: 'added' })
        for (const rel of inside.sort()) changes.push({ path: name(path.join(file, rel)), kind: 'added' })
        continue
      }
      changes.push({ path: name(file), kind: was === undefined || isDir(was) ? 'added' : 'modified' })
    }
    return { changes, transient }
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
  return new FolderWatch('the checkout', dir, folders, keep)
}

/** A workspace that is no git checkout: its folders, as far as the first entries go. */
function plainWorkspace(dir: string, ignore: string[]): Watched {
  const keep = (file: string): boolean => !ignore.some(prefix => under(file, prefix))
  return new FolderWatch('the workspace', dir, foldersOf(dir, PLAIN_WORKSPACE_ENTRIES).filter(keep), keep)
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
  return new FolderWatch("the runner user's dotfiles", home, folders, keep, rel => `~${path.sep}${rel}`)
}

/** The watched places, and what changed in them since the last look. */
export class OutsideWatch {
  constructor(private readonly places: Watched[]) {}

  /**
   * The net changes since the last look, named for a failure, file by file, relative to the root
   * they lie in: undefined when there are none. `note` hears of files that came and went.
   */
  async check(note?: (line: string) => void): Promise<string | undefined> {
    // Let the OS's reports of what was written up to now reach their watchers first.
    await new Promise(resolve => setImmediate(resolve))
    await new Promise(resolve => setImmediate(resolve))
    const problems: string[] = []
    for (const place of this.places) {
      const { changes, transient } = place.changes()
      if (transient.length > 0)
        note?.(`outside the sandbox, in ${place.what} (${place.root}), created and removed again, so no change: ${transient.join(', ')}`)
      if (changes.length === 0) continue
      const named = changes
        .slice(0, NAMED)
        .map(c => `${c.path} (${c.kind})`)
        .join(', ')
      problems.push(`in ${place.what} (${place.root}): ${named}${changes.length > NAMED ? ` and ${changes.length - NAMED} more` : ''}`)
    }
    return problems.length === 0 ? undefined : `the release changed files outside its sandbox, ${problems.join('; ')}`
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
  if (actionsDir && existsSync(actionsDir)) watched.push(new FolderWatch("the job's actions", actionsDir, foldersOf(actionsDir, MAX_ENTRIES), () => true))
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
