import { execFile } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { promisify } from 'node:util'
import { RUN_MARKER } from './env.js'
import { carriesTag, type RunTag } from './run-tag.js'

/** One running process: its parent, its full command line, and whether it carries a run's marker. */
export interface ProcessInfo {
  pid: number
  ppid?: number
  command: string
  /** The value of RUN_MARKER in its environment, where the platform shows environments. */
  marker?: string
  /** Linux: when it started, in clock ticks since boot (`/proc/<pid>/stat`), and its user. */
  startTicks?: number
  uid?: number
}

/** A listing, or undefined when the processes cannot be listed here (unknown is never "gone"). */
export type Listing = ProcessInfo[] | undefined

const LIST_OPTIONS = { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, windowsHide: true, timeout: 30_000 } as const

const run = promisify(execFile)

/** The marker's value in a NUL- or space-separated environment text. */
export function markerIn(environment: string, separator: '\0' | ' '): string | undefined {
  const key = `${RUN_MARKER}=`
  for (const entry of environment.split(separator)) if (entry.startsWith(key)) return entry.slice(key.length)
  return undefined
}

/** Parses `/proc/<pid>/stat`: the state letter, the parent pid and the start time in ticks (the name in parentheses may hold anything). */
export function parseProcStat(text: string): { state: string; ppid: number; startTicks: number } | undefined {
  const fields = text
    .slice(text.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/)
  // After the name: state (3), ppid (4), …, starttime (22): the 20th field from here.
  if (fields.length < 20 || !/^\d+$/.test(fields[1])) return undefined
  return { state: fields[0], ppid: Number(fields[1]), startTicks: Number(fields[19]) }
}

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux the runners use). */
const TICKS_PER_SECOND = 100

/** Linux: now, in the clock ticks since boot that `/proc/<pid>/stat` counts in; undefined elsewhere. */
export function bootTicksNow(): number | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    return Math.floor(Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * TICKS_PER_SECOND)
  } catch {
    return undefined
  }
}

/** Linux: the cgroup a process belongs to (`/proc/<pid>/cgroup`), undefined when unreadable. */
export function cgroupOf(pid: number | 'self'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim()
  } catch {
    return undefined
  }
}

/**
 * Linux: every process from /proc, without `ps` (missing in slim and BusyBox containers). Zombies
 * are left out. With `newerThan` (a run's start, in boot ticks), a process that started before it
 * cannot be the run's: only its parent and start time are read (for ancestry), not its user,
 * command line or environment, which made up most of the cost of a listing.
 */
function listFromProc(newerThan?: number): ProcessInfo[] {
  const list: ProcessInfo[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8'))
      if (!stat || stat.state === 'Z' || stat.state === 'X') continue
      if (newerThan !== undefined && stat.startTicks < newerThan) {
        list.push({ pid: Number(name), ppid: stat.ppid, command: '', startTicks: stat.startTicks })
        continue
      }
      const uid = statSync(`/proc/${name}`).uid
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ')
      let marker: string | undefined
      try {
        marker = markerIn(readFileSync(`/proc/${name}/environ`, 'utf8'), '\0')
      } catch {
        // Another user's process: its environment is not readable, and it is not ours.
      }
      list.push({ pid: Number(name), ppid: stat.ppid, command, marker, startTicks: stat.startTicks, uid })
    } catch {
      // Ended while we looked.
    }
  }
  return list
}

/** Parses `ps -E -ww -axo pid=,ppid=,command=` (macOS: the environment follows the arguments). */
export function parsePsListing(text: string): ProcessInfo[] {
  return text
    .split('\n')
    .map(line => line.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map(m => ({ pid: Number(m[1]), ppid: Number(m[2]), command: m[3], marker: markerIn(m[3], ' ') }))
}

/** Parses PowerShell's `Get-CimInstance Win32_Process | Select ProcessId, ParentProcessId, CommandLine | ConvertTo-Json`. */
export function parseCimListing(text: string): ProcessInfo[] {
  if (text.trim() === '') return []
  const data = JSON.parse(text) as unknown
  const rows = (Array.isArray(data) ? data : [data]) as { ProcessId?: unknown; ParentProcessId?: unknown; CommandLine?: unknown }[]
  return rows
    .filter(row => typeof row?.ProcessId === 'number')
    .map(row => ({
      pid: row.ProcessId as number,
      ppid: typeof row.ParentProcessId === 'number' ? row.ParentProcessId : undefined,
      command: typeof row.CommandLine === 'string' ? row.CommandLine : ''
    }))
}

/**
 * Every process: /proc on Linux, `ps` with environments on macOS, CIM through PowerShell on
 * Windows (which shows no environments: there the run's processes are found by parent pid).
 * Linux with `newerThan`: those older than it without command line, user or marker. Undefined
 * when no listing can be had.
 */
export async function listProcesses(newerThan?: number): Promise<Listing> {
  try {
    if (process.platform === 'linux') return listFromProc(newerThan)
    if (process.platform === 'win32') {
      const script = 'Get-CimInstance Win32_Process | Select-Object ProcessId, ParentProcessId, CommandLine | ConvertTo-Json -Compress'
      return parseCimListing((await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script], LIST_OPTIONS)).stdout)
    }
    return parsePsListing((await run('ps', ['-E', '-ww', '-axo', 'pid=,ppid=,command='], LIST_OPTIONS)).stdout)
  } catch {
    return undefined
  }
}

/** `roots` and every process descending from one of them, by parent pid. */
export function descendants(roots: Iterable<number>, listing: ProcessInfo[]): Set<number> {
  const found = new Set(roots)
  for (let grew = true; grew; ) {
    grew = false
    for (const p of listing) {
      if (p.ppid !== undefined && found.has(p.ppid) && !found.has(p.pid)) {
        found.add(p.pid)
        grew = true
      }
    }
  }
  return found
}

/** How the processes of one run are told from every other process of the host. */
export interface RunIdentity {
  runId: string
  /** Forms of the sandbox path: a process whose command line names one is the run's. */
  forms: string[]
  /** Pids the run started (Windows, where environments cannot be read: their descendants are the run's). */
  roots?: Iterable<number>
  /**
   * Linux: the boot tick when the run began. A process started since then, by this user, in this
   * process's cgroup, whose ancestry leads to the run or to init without passing a process that
   * predates the run, is the run's too: an escapee that dropped the marker and left the sandbox.
   */
  since?: number
  /**
   * Linux: the limits the run's processes inherit (host/run-tag.ts). Where the run has one, an
   * escapee must carry it: another run's escapee, alike in all else, does not.
   */
  tag?: RunTag
}

/**
 * Whether `p` is an escapee of the run (see RunIdentity.since): new, same user and cgroup, no other
 * run's marker, no ancestor that predates the run (up to init or to a process of the run), and the
 * run's tag where it has one.
 */
function escaped(
  p: ProcessInfo,
  byPid: Map<number, ProcessInfo>,
  run: RunIdentity,
  ours: (p: ProcessInfo) => boolean,
  self: { uid?: number; cgroup?: string }
): boolean {
  const since = run.since
  if (since === undefined || p.startTicks === undefined || p.startTicks < since) return false
  if (p.uid !== self.uid || (p.marker !== undefined && p.marker !== run.runId)) return false
  for (let parent = byPid.get(p.ppid ?? 0), seen = 0; ; parent = byPid.get(parent.ppid ?? 0), seen++) {
    // Orphans go to init (pid 1): started in the run's time by the run's user, with nobody older above.
    if (!parent || parent.pid === 1 || seen > 64) break
    if (parent.pid === process.pid || ours(parent)) break
    if (parent.startTicks === undefined || parent.startTicks < since) return false
  }
  const cgroup = cgroupOf(p.pid)
  if (cgroup === undefined || cgroup !== self.cgroup) return false
  return run.tag === undefined || carriesTag(p.pid, run.tag)
}

/**
 * The processes of a run (never this process): those carrying its marker, those whose command line
 * names the sandbox, those descending from the pids it started (the only way on Windows), and on
 * Linux the escapees (RunIdentity.since).
 */
export function processesOfRun(listing: ProcessInfo[], run: RunIdentity): ProcessInfo[] {
  const lower = process.platform === 'win32'
  const wanted = run.forms.map(f => (lower ? f.toLowerCase() : f))
  const tree = descendants(run.roots ?? [], listing)
  const marked = (p: ProcessInfo): boolean => {
    if (p.pid === process.pid) return false
    if (p.marker === run.runId || tree.has(p.pid)) return true
    const command = lower ? p.command.toLowerCase() : p.command
    return wanted.some(form => command.includes(form))
  }
  const byPid = new Map(listing.map(p => [p.pid, p]))
  const self = { uid: process.getuid?.(), cgroup: run.since === undefined ? undefined : cgroupOf('self') }
  return listing.filter(p => p.pid !== process.pid && (marked(p) || escaped(p, byPid, run, marked, self)))
}
