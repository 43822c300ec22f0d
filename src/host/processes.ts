import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { RUN_MARKER } from './env.js'

/** One running process: its parent, its full command line, and whether it carries a run's marker. */
export interface ProcessInfo {
  pid: number
  ppid?: number
  command: string
  /** The value of RUN_MARKER in its environment, where the platform shows environments. */
  marker?: string
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

/** Parses `/proc/<pid>/stat`: the state letter and the parent pid (the name in parentheses may hold anything). */
export function parseProcStat(text: string): { state: string; ppid: number } | undefined {
  const m = text.slice(text.lastIndexOf(')') + 1).match(/^\s*(\S)\s+(\d+)/)
  return m ? { state: m[1], ppid: Number(m[2]) } : undefined
}

/** Linux: every process from /proc, without `ps` (missing in slim and BusyBox containers). Zombies are left out. */
function listFromProc(): ProcessInfo[] {
  const list: ProcessInfo[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = parseProcStat(readFileSync(`/proc/${name}/stat`, 'utf8'))
      if (!stat || stat.state === 'Z' || stat.state === 'X') continue
      const command = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ')
      let marker: string | undefined
      try {
        marker = markerIn(readFileSync(`/proc/${name}/environ`, 'utf8'), '\0')
      } catch {
        // Another user's process: its environment is not readable, and it is not ours.
      }
      list.push({ pid: Number(name), ppid: stat.ppid, command, marker })
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
 * Undefined when no listing can be had.
 */
export async function listProcesses(): Promise<Listing> {
  try {
    if (process.platform === 'linux') return listFromProc()
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

/**
 * The processes of a run (never this process): those carrying its marker, those whose command line
 * names the sandbox (`forms`), and those descending from the pids it started (`roots`, the only
 * way on Windows).
 */
export function processesOfRun(listing: ProcessInfo[], runId: string, forms: string[], roots: Iterable<number> = []): ProcessInfo[] {
  const lower = process.platform === 'win32'
  const wanted = forms.map(f => (lower ? f.toLowerCase() : f))
  const tree = descendants(roots, listing)
  return listing.filter(p => {
    if (p.pid === process.pid) return false
    if (p.marker === runId || tree.has(p.pid)) return true
    const command = lower ? p.command.toLowerCase() : p.command
    return wanted.some(form => command.includes(form))
  })
}
