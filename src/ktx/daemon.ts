import { readFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import { ExpectationError, plainLines } from '../engine/checks.js'

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

/** FastAPI's `detail` of an error answer, compact (422: which field of the body was wrong). */
function detailOf(body: string): string {
  try {
    const detail = (JSON.parse(body) as { detail?: unknown }).detail
    if (detail !== undefined) return `detail: ${JSON.stringify(detail).slice(0, 500)}`
  } catch {
    // Not JSON: quote the body.
  }
  return body.trim() === '' ? '(empty body)' : body.slice(0, 500)
}

/** The JSON answer of `method target` (2xx); what the daemon answered instead fails the phase, quoted. */
export async function requestJson(method: 'GET' | 'POST', target: string, timeoutMs: number, payload?: unknown): Promise<unknown> {
  let response: { status: number; body: string }
  try {
    response = await send(method, target, timeoutMs, payload)
  } catch (error) {
    throw new ExpectationError(`nothing answered ${method} ${target} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  const { status, body } = response
  if (status < 200 || status >= 300) throw new ExpectationError(`${method} ${target} answered HTTP ${status}: ${detailOf(body)}`)
  try {
    return JSON.parse(body)
  } catch {
    throw new ExpectationError(`${method} ${target} answered with something other than JSON: ${body.slice(0, 200)}`)
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

/** True when a TCP connection to host:port is accepted within `timeoutMs`. */
function portAccepts(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise(resolve => {
    const socket = net.connect({ host, port })
    const done = (accepted: boolean): void => {
      socket.destroy()
      resolve(accepted)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

/** The machine's non-loopback addresses (from os.networkInterfaces()), by family. */
export function outsideAddresses(): { address: string; family: 'IPv4' | 'IPv6'; scope?: string }[] {
  return Object.entries(os.networkInterfaces()).flatMap(([name, list]) =>
    (list ?? []).filter(a => !a.internal).map(a => ({ address: a.address, family: a.family, scope: a.family === 'IPv6' && a.scopeid ? name : undefined }))
  )
}

/** Decodes an address of /proc/net/tcp or tcp6 (hex, in 32-bit words of host byte order: little-endian here). */
export function decodeProcAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? []
  const bytes = words.flatMap(w => (w.match(/../g) ?? []).reverse().map(b => Number.parseInt(b, 16)))
  if (bytes.length === 4) return bytes.join('.')
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16))
  const text = groups.join(':')
  if (/^0:0:0:0:0:ffff:/.test(text)) return `::ffff:${bytes.slice(12).join('.')}`
  return text === '0:0:0:0:0:0:0:0' ? '::' : text === '0:0:0:0:0:0:0:1' ? '::1' : text
}

/** The addresses listening sockets on `port` are bound to, from the kernel's tables (Linux); undefined elsewhere. */
export function listenAddresses(port: number): string[] | undefined {
  if (process.platform !== 'linux') return undefined
  const found: string[] = []
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string
    try {
      text = readFileSync(table, 'utf8')
    } catch {
      if (table.endsWith('6')) continue
      return undefined
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/)
      if (state !== '0A' || !local) continue
      const [addr, portHex] = local.split(':')
      if (Number.parseInt(portHex, 16) === port) found.push(decodeProcAddress(addr))
    }
  }
  return found
}

const isLoopback = (address: string): boolean => /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address)

/**
 * Where the daemon on `url`'s port can be reached from outside the machine: the non-loopback
 * addresses that accept a connection. On Linux this is read from the kernel's socket tables (a
 * wildcard bind answers on every address), so no packet is sent; elsewhere each address is tried.
 */
export async function reachableOutside(url: string): Promise<string[]> {
  const port = Number(new URL(url).port)
  const outside = outsideAddresses()
  const bound = listenAddresses(port)
  if (bound) {
    const exposed = bound.filter(a => !isLoopback(a))
    if (exposed.length === 0) return []
    const wildcard = exposed.some(a => a === '0.0.0.0' || a === '::')
    const named = wildcard
      ? outside.filter(a => exposed.includes('::') || a.family === 'IPv4').map(a => a.address)
      : exposed.map(a => a.replace(/^::ffff:/, ''))
    const list = named.length > 0 ? named : exposed
    return list.map(a => `${a.includes(':') ? `[${a}]` : a}:${port}${wildcard ? ` (it listens on ${exposed.join(', ')})` : ''}`)
  }
  const answered = await Promise.all(
    outside.map(async a =>
      (await portAccepts(a.scope ? `${a.address}%${a.scope}` : a.address, port)) ? `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${port}` : undefined
    )
  )
  return answered.filter((a): a is string => a !== undefined)
}
