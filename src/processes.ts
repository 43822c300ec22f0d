import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

/** One running process and its full command line. */
export interface ProcessInfo {
  pid: number
  command: string
}

const LIST_OPTIONS = { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, windowsHide: true } as const

const run = promisify(execFile)

/** Parses `ps -axo pid=,command=` (Linux and macOS). */
export function parsePsListing(text: string): ProcessInfo[] {
  return text
    .split('\n')
    .map(line => line.trim().match(/^(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map(m => ({ pid: Number(m[1]), command: m[2] }))
}

/** Parses PowerShell's `Get-CimInstance Win32_Process | Select ProcessId, CommandLine | ConvertTo-Json`. */
export function parseCimListing(text: string): ProcessInfo[] {
  if (text.trim() === '') return []
  const data = JSON.parse(text) as unknown
  const rows = (Array.isArray(data) ? data : [data]) as { ProcessId?: unknown; CommandLine?: unknown }[]
  return rows
    .filter(row => typeof row?.ProcessId === 'number' && typeof row.CommandLine === 'string')
    .map(row => ({ pid: row.ProcessId as number, command: row.CommandLine as string }))
}

/**
 * Every process with its command line: `ps` on Linux and macOS, CIM through PowerShell on
 * Windows. An empty list when the listing cannot be had (the callers then only use known pids).
 */
export async function listProcesses(): Promise<ProcessInfo[]> {
  try {
    if (process.platform === 'win32') {
      const script = 'Get-CimInstance Win32_Process | Select-Object ProcessId, CommandLine | ConvertTo-Json -Compress'
      return parseCimListing((await run('powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', script], LIST_OPTIONS)).stdout)
    }
    return parsePsListing((await run('ps', ['-axo', 'pid=,command='], LIST_OPTIONS)).stdout)
  } catch {
    return []
  }
}

/** Processes (other than this one) whose command line mentions one of `forms` (a directory, say). */
export function processesMentioning(forms: string[], listing: ProcessInfo[]): ProcessInfo[] {
  const lower = process.platform === 'win32'
  const wanted = forms.map(f => (lower ? f.toLowerCase() : f))
  return listing.filter(p => {
    if (p.pid === process.pid) return false
    const command = lower ? p.command.toLowerCase() : p.command
    return wanted.some(form => command.includes(form))
  })
}
