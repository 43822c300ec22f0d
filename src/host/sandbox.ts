import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { SetupError } from '../engine/checks.js'

/** The marker file that proves a directory is a sandbox this action made. */
export const MARKER_FILE = '.ktx-smoke-sandbox'
const MARKER_TAG = 'ktx-smoke-action sandbox'

/** Everything the smoke writes lives below `root`. */
export interface Sandbox {
  root: string
  /** The throwaway npm/pnpm project the tarball is installed into. */
  installDir: string
  /** `KTX_RUNTIME_ROOT` for every ktx command. */
  runtimeRoot: string
  /** The ktx fixture project (`ktx.yaml`, warehouse, semantic layer). */
  projectDir: string
  /** HOME (and USERPROFILE, the XDG dirs) of every ktx command. */
  home: string
  /** HOME of the package installs (the release's install scripts), apart from ktx's so that its writes are not taken for ktx's. */
  installHome: string
  /** The temp dir of the code under test. */
  tmp: string
}

/** The parent of every sandbox: `RUNNER_TEMP` on a runner, the OS temp dir elsewhere. */
export function tempParent(): string {
  return process.env.RUNNER_TEMP?.trim() || os.tmpdir()
}

function layout(root: string): Sandbox {
  return {
    root,
    installDir: path.join(root, 'install'),
    runtimeRoot: path.join(root, 'runtime-root'),
    projectDir: path.join(root, 'project'),
    home: path.join(root, 'home'),
    installHome: path.join(root, 'install-home'),
    tmp: path.join(root, 'tmp')
  }
}

/** Makes this run's marked sandbox in the temp parent; a temp dir that cannot be written is the host's fault. */
export function createSandbox(runId: string): Sandbox {
  const parent = tempParent()
  try {
    mkdirSync(parent, { recursive: true })
    const root = mkdtempSync(path.join(parent, 'ktx-smoke-'))
    writeFileSync(path.join(root, MARKER_FILE), JSON.stringify({ tag: MARKER_TAG, runId, createdAt: new Date().toISOString() }))
    const sandbox = layout(root)
    for (const dir of [sandbox.installDir, sandbox.runtimeRoot, sandbox.projectDir, sandbox.home, sandbox.installHome, sandbox.tmp]) mkdirSync(dir)
    return sandbox
  } catch (error) {
    throw unwritableTemp('the sandbox', parent, error)
  }
}

/** The host's fault: a folder the action needs in the temp parent (RUNNER_TEMP) cannot be made at `where`. */
export function unwritableTemp(what: string, where: string, error: unknown): SetupError {
  const name = process.env.RUNNER_TEMP?.trim() ? 'RUNNER_TEMP' : 'the temp dir'
  return new SetupError(`Cannot create ${what} in ${name} (${where}): ${(error as Error).message}. It must be a writable directory.`)
}

/** The sandbox root as given and as resolved (macOS temp paths show up as /private/var/… in ps). */
export function rootForms(root: string): string[] {
  try {
    return [...new Set([root, realpathSync(root)])]
  } catch {
    return [root]
  }
}

export function sandboxAt(root: string): Sandbox {
  return layout(root)
}

/** True when `child` lies strictly below `parent`. */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child)
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)
}

/**
 * Why `root` must not be removed, or undefined when it is this run's own sandbox: it must lie
 * inside the temp parent and carry the marker written for `runId`.
 */
export function refuseRemoval(root: string, runId: string): string | undefined {
  let real: string
  let parent: string
  try {
    real = realpathSync(root)
    parent = realpathSync(tempParent())
  } catch {
    return `${root} does not exist`
  }
  if (!isInside(real, parent)) return `${root} is not inside ${tempParent()}`
  try {
    const marker = JSON.parse(readFileSync(path.join(real, MARKER_FILE), 'utf8')) as { tag?: string; runId?: string }
    if (marker.tag !== MARKER_TAG || marker.runId !== runId) return `${root} carries another run's marker`
  } catch {
    return `${root} has no ${MARKER_FILE} marker`
  }
  return undefined
}

/** Removes this run's sandbox; returns why not when it is not provably ours. */
export function removeSandbox(root: string, runId: string): string | undefined {
  const refusal = refuseRemoval(root, runId)
  if (refusal) return refusal
  rmSync(root, { recursive: true, force: true, maxRetries: 3, retryDelay: 200 })
  return undefined
}
