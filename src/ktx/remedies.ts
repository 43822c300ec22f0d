// The CLI's own reason for a failure, and a remedy for the causes the action knows.
import { plainLine, withoutColour } from '../engine/checks.js'
import type { SmokeContext } from '../engine/context.js'
import type { FailureAdvice, Judged } from '../engine/runner.js'
import { judgeWrongAbi, wrongAbi } from './native.js'
import { realpathSync } from 'node:fs'
import path from 'node:path'
import type { CommandResult } from '../host/command.js'
import { managedUvPath } from './generations.js'

/**
 * The CLI's own words for why a command failed: its last `■ …` or `error: …` line on stderr, else
 * its last stderr line. Undefined for a command that exited 0, or printed nothing on stderr.
 */
export function cliReason(result: CommandResult): string | undefined {
  if (result.exitCode === 0 && !result.timedOut) return undefined
  const lines = result.stderr
    .split(/\r?\n/)
    .map(l => withoutColour(l).trim())
    .filter(Boolean)
  // ktx's own failure line (■), an `error:` line, npm's first telling `npm error` line, pnpm's ERR_PNPM_ line.
  const npmNoise = /^npm (error|ERR!) (code|errno|syscall|path|A complete log|Log files|\s*$)/
  const line =
    lines.filter(l => /^■/.test(l)).at(-1) ??
    lines.filter(l => /^error:/i.test(l)).at(-1) ??
    lines.find(l => /^npm (error|ERR!) /.test(l) && !npmNoise.test(l)) ??
    lines.find(l => /^\[?ERR_PNPM_/.test(l)) ??
    lines.at(-1)
  if (!line) return undefined
  const text = plainLine(line)
  return text.length > 600 ? `${text.slice(0, 600)}…` : text
}

/** How far back from the end `withoutRepeats` looks: the log shows only the last lines anyway. */
export const REPEAT_WINDOW = 200

/**
 * Lines without those another line already says in full (ktx prints its failure twice: marked,
 * then bare). Only the last REPEAT_WINDOW lines are compared, each with the plain forms of those
 * kept before it; earlier lines stay as they are, so a command that printed megabytes costs little.
 */
export function withoutRepeats(lines: string[]): string[] {
  const start = Math.max(0, lines.length - REPEAT_WINDOW)
  const kept = lines.slice(0, start)
  const seen: string[] = []
  for (const line of lines.slice(start)) {
    const bare = plainLine(line).trim()
    if (bare.length >= 20 && seen.some(k => k.includes(bare))) continue
    kept.push(line)
    seen.push(bare)
  }
  return kept
}

export interface RemedyContext {
  /** The registry-wait input, when the release comes from the registry. */
  registryWaitSec?: number
  /** Where the release looks for its managed uv, if it has one. */
  managedUv?: string
}

/** A remedy that fits the action, for the causes it knows; undefined for the others. */
export function remedyFor(text: string, context: RemedyContext): string | undefined {
  if (/could not download uv|place the uv binary at/i.test(text)) {
    return `this runner cannot download uv. Give the action a uv executable with the uv-binary input; it is placed where ktx looks (${context.managedUv ?? 'its managed uv path'}). ktx's own advice names a path in the action's sandbox, which is thrown away after the run.`
  }
  if (/gyp ERR!|node-gyp|prebuild-install|better_sqlite3\.node|Could not locate the bindings file|ERR_DLOPEN_FAILED|NODE_MODULE_VERSION/.test(text)) {
    return "better-sqlite3, ktx's native sqlite module, could not be built or loaded for the Node on PATH: give the runner a C toolchain (python3, make, a C++ compiler), or use a Node for which better-sqlite3 publishes a prebuilt binary."
  }
  if (context.registryWaitSec !== undefined && /\b(E404|ETARGET)\b|No matching version found for /.test(text)) {
    return `the registry does not serve this release (yet): raise registry-wait (now ${context.registryWaitSec} s), or check the version and the registry your npm config names.`
  }
  return undefined
}

/** A native module of the install that will not load under the Node on PATH: whose fault, and why (ktx/native.ts). */
function judgeNative(ctx: SmokeContext | undefined, result: CommandResult): Judged | undefined {
  const found = wrongAbi(`${result.stderr}\n${result.stdout}`)
  if (!found) return undefined
  const packageDir = ctx?.installed?.packageDir
  const files = ctx?.facts.tarball?.files ?? {}
  const inside = (dir: string): string | undefined => {
    const rel = path.relative(dir, found.module)
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : undefined
  }
  const rel = packageDir ? (inside(packageDir) ?? inside(realpathOr(packageDir))) : undefined
  return judgeWrongAbi(found, { version: ctx?.host?.nodeVersion, path: ctx?.host?.node }, rel !== undefined && rel in files)
}

function realpathOr(dir: string): string {
  try {
    return realpathSync(dir)
  } catch {
    return dir
  }
}

/**
 * ktx's knowledge for the runner's failure messages: its own reason first, a remedy for the causes
 * the action knows (given what the run knows: the registry-wait input, the managed uv path), and
 * its doubled failure message shown once.
 */
export function ktxAdvice(ctx?: SmokeContext): FailureAdvice {
  const context: RemedyContext = {
    registryWaitSec: ctx?.inputs.package ? ctx.inputs.registryWaitSec : undefined,
    managedUv: ctx?.sandbox && ctx.facts.tarball ? managedUvPath(ctx.facts.tarball.version, ctx.sandbox.runtimeRoot) : undefined
  }
  return { reason: cliReason, remedy: text => remedyFor(text, context), shown: withoutRepeats, judge: result => judgeNative(ctx, result) }
}
