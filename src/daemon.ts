import http from 'node:http'
import net from 'node:net'
import { plainLines } from './checks.js'
import { isProcessGone, killTree, waitFor } from './process.js'
import { processesMentioning, type ProcessInfo } from './processes.js'
import { rootForms } from './sandbox.js'

/** The `key: value` lines `start` prints after its message (contract §6). */
export interface DaemonInfo {
  url?: string
  pid?: number
  version?: string
  features?: string[]
  state?: string
}

export function parseDaemonLines(stdout: string): DaemonInfo {
  const info: DaemonInfo = {}
  for (const line of plainLines(stdout)) {
    const m = line.trim().match(/^(url|pid|version|features|state):\s*(.*)$/)
    if (!m) continue
    const value = m[2].trim()
    if (m[1] === 'url') info.url = value
    if (m[1] === 'pid' && /^\d+$/.test(value)) info.pid = Number(value)
    if (m[1] === 'version') info.version = value
    if (m[1] === 'features') info.features = value.split(/[\s,]+/).filter(Boolean)
    if (m[1] === 'state') info.state = value
  }
  return info
}

/** One request over plain HTTP on loopback (node:http: cheaper to start than fetch). */
function send(method: 'GET' | 'POST', target: string, timeoutMs: number, payload?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = payload === undefined ? undefined : JSON.stringify(payload)
    const headers = data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }
    const request = http.request(target, { method, timeout: timeoutMs, agent: false, headers }, response => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
      response.on('error', reject)
    })
    request.on('timeout', () => request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })))
    request.on('error', reject)
    request.end(data)
  })
}

/** The JSON answer of `method target` (2xx), or an error saying what answered instead. */
export async function requestJson(method: 'GET' | 'POST', target: string, timeoutMs: number, payload?: unknown): Promise<unknown> {
  let response: { status: number; body: string }
  try {
    response = await send(method, target, timeoutMs, payload)
  } catch (error) {
    throw new Error(`nothing answered ${method} ${target} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  const { status, body } = response
  if (status < 200 || status >= 300) throw new Error(`${method} ${target} answered HTTP ${status}: ${body.slice(0, 200)}`)
  try {
    return JSON.parse(body)
  } catch {
    throw new Error(`${method} ${target} answered with something other than JSON: ${body.slice(0, 200)}`)
  }
}

/** `GET <url>/health`; resolves to the parsed body, or throws saying what answered instead. */
export async function fetchHealth(url: string, timeoutMs = 5000): Promise<{ status?: string; version?: string }> {
  return (await requestJson('GET', `${url.replace(/\/+$/, '')}/health`, timeoutMs)) as { status?: string; version?: string }
}

/** True when a TCP connection to the url's host and port is refused (nothing listens). */
export function portRefuses(url: string, timeoutMs = 1000): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise(resolve => {
    const socket = net.connect({ host: hostname, port: Number(port) })
    const done = (refused: boolean): void => {
      socket.destroy()
      resolve(refused)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(false))
    socket.once('error', error => done((error as NodeJS.ErrnoException).code === 'ECONNREFUSED'))
  })
}

/**
 * Stops a daemon this run started: its process tree, SIGTERM then SIGKILL. It first makes sure
 * the pid still runs something from `sandboxRoot` (per `listing`, taken just before), so that a pid
 * reused by an unrelated process is never touched. Returns what it did, for the log.
 */
export async function stopDaemon(pid: number, sandboxRoot: string, listing: ProcessInfo[]): Promise<string> {
  if (isProcessGone(pid)) return `daemon pid ${pid} is already gone`
  const own = listing.filter(p => p.pid === pid)
  if (processesMentioning(rootForms(sandboxRoot), own).length === 0) {
    return `pid ${pid} no longer runs the sandbox's daemon (${own[0]?.command ?? 'no command line'}); left alone`
  }
  killTree(pid, 'SIGTERM')
  if (await waitFor(() => isProcessGone(pid), 5000)) return `stopped daemon pid ${pid}`
  killTree(pid, 'SIGKILL')
  if (await waitFor(() => isProcessGone(pid), 5000)) return `killed daemon pid ${pid} (it ignored SIGTERM)`
  return `daemon pid ${pid} survived SIGKILL`
}
