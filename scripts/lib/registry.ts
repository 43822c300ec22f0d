// A minimal npm registry on loopback for the tests: serves one scoped package from tarballs made
// by packFixture, answering 404 for the package's document until `notFoundFirst` requests have
// been refused, or for `notFoundForMs` after the first request, as a registry does right after
// `npm publish`. Every other package is left to the
// real registry through the scope's own registry setting.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import type { AddressInfo } from 'node:net'

export interface TestRegistry {
  url: string
  /** Requests for the package document answered so far, 404s included. */
  documentRequests: () => number
  /** An npm config file (the user's own, plus the scope's registry), for NPM_CONFIG_USERCONFIG. */
  npmrc: string
  close: () => Promise<void>
}

export interface RegistryOptions {
  /** Answer 404 for the package document this many times first. */
  notFoundFirst?: number
  /** Answer 404 for the package document for this long after it is first asked for. */
  notFoundForMs?: number
  /** Where the npm config file goes. */
  dir: string
  /** Serve the version as deprecated, with this message (npm then warns on every install of it). */
  deprecated?: string
}

export async function startRegistry(tarball: string, options: RegistryOptions): Promise<TestRegistry> {
  const bytes = readFileSync(tarball)
  const { execFileSync } = await import('node:child_process')
  const pkg = JSON.parse(execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' })) as {
    name: string
    version: string
  }
  const [scope, bare] = pkg.name.split('/')
  let requests = 0
  let firstAt = 0
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '')
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (url === `/${pkg.name}`) {
      requests++
      firstAt ||= Date.now()
      if (requests <= (options.notFoundFirst ?? 0) || Date.now() - firstAt < (options.notFoundForMs ?? 0)) return json(404, { error: 'Not found' })
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const dist = {
        tarball: `${base}/${pkg.name}/-/${bare}-${pkg.version}.tgz`,
        integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
        shasum: createHash('sha1').update(bytes).digest('hex')
      }
      const version = { ...pkg, dist, ...(options.deprecated ? { deprecated: options.deprecated } : {}) }
      return json(200, { name: pkg.name, 'dist-tags': { latest: pkg.version }, versions: { [pkg.version]: version } })
    }
    if (url === `/${pkg.name}/-/${bare}-${pkg.version}.tgz`) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length })
      return res.end(bytes)
    }
    json(404, { error: 'Not found' })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  const own = path.join(os.homedir(), '.npmrc')
  const npmrc = path.join(options.dir, 'npmrc')
  writeFileSync(npmrc, `${existsSync(own) ? `${readFileSync(own, 'utf8').trimEnd()}\n` : ''}${scope}:registry=${url}\n`)
  return {
    url,
    documentRequests: () => requests,
    npmrc,
    close: () => new Promise(resolve => server.close(() => resolve()))
  }
}
