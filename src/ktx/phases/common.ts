// What the phases share: the CLI generation found so far, status reads, the executed query.
import { realpathSync } from 'node:fs'
import path from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { completes, exitsWith, expect, ExpectationError, jsonStdout, parseJsonStdout, stderrEmpty, verify, type Check } from '../../engine/checks.js'
import type { Generation, RuntimeStatus } from '../generations.js'
import type { Installed } from '../../engine/context.js'
import type { PhaseScope } from '../../engine/scope.js'
import type { SmokeContext } from '../../engine/context.js'

export function generation(ctx: SmokeContext): Generation {
  const g = ctx.facts.generation
  if (!g) throw new Error('the CLI generation is not known yet')
  return g
}

export function samePath(a: string | undefined, b: string): boolean {
  if (!a) return false
  const real = (p: string): string => {
    try {
      return realpathSync(p)
    } catch {
      return path.resolve(p)
    }
  }
  return path.resolve(a) === path.resolve(b) || real(a) === real(b)
}

/** status --json: parsed, of the expected kind, in the sandbox's runtime root, with the generation's exit code. */
export async function readStatus(ctx: SmokeContext, scope: PhaseScope, kind: string, via?: Installed): Promise<RuntimeStatus> {
  const g = generation(ctx)
  const root = ctx.sandbox!.runtimeRoot
  const r = await scope.ktx(g.status, [completes], undefined, via)
  const status = parseJsonStdout<RuntimeStatus>(r)
  // The last status document read is an output, whatever comes of it.
  ctx.facts.statusJson = JSON.stringify(status)
  expect(typeof status.kind === 'string', 'status --json has no "kind"', r)
  expect(status.kind === kind, `expected runtime status "${kind}", got "${status.kind}"${status.detail ? `: ${status.detail}` : ''}`, r)
  expect(
    samePath(status.layout?.runtimeRoot, root),
    `status reports runtime root ${status.layout?.runtimeRoot ?? '(none)'}, but KTX_RUNTIME_ROOT is ${root}`,
    r
  )
  const code = g.statusExitCode(kind)
  const check = exitsWith(code)(r)
  if (check) throw new ExpectationError(`${check} (the ${g.id} generation's status exits ${code} for "${kind}")`, r)
  verify(r, [stderrEmpty()])
  return status
}

export interface QueryJson {
  connectionId?: string
  dialect?: string
  sql?: string
  rows?: unknown
  totalRows?: number
  plan?: { execution?: { mode?: string; driver?: string; maxRows?: number; rowCount?: number } }
}

/** stdout of `sl query --execute` must be the executed count of orders, `count` as read from the warehouse. */
export function executedCount(count: number): Check {
  return jsonStdout<QueryJson>(q => {
    const exec = q.plan?.execution
    if (q.dialect !== 'sqlite') return `expected "dialect": "sqlite", got ${JSON.stringify(q.dialect)}`
    if (exec?.mode !== 'executed') return `expected plan.execution.mode "executed", got ${JSON.stringify(exec?.mode)}`
    if (exec.driver !== 'sqlite') return `expected plan.execution.driver "sqlite", got ${JSON.stringify(exec.driver)}`
    if (!isDeepStrictEqual(q.rows, [[count]])) return `expected rows [[${count}]] (count(*) of orders, read from the warehouse), got ${JSON.stringify(q.rows)}`
    return undefined
  })
}

interface SearchJson {
  kind?: string
  data?: { items?: Record<string, unknown>[] }
}

/**
 * stdout of `ktx wiki <q> --json` / `ktx sl <q> --json` as ktx's own smoke reads it: a list of one
 * item with `fields`, a numeric score, and `lexical` among its match reasons.
 */
export function searchFinds(what: 'wiki' | 'sl', fields: Record<string, string>): Check {
  return jsonStdout<SearchJson>(json => {
    const items = json.data?.items
    if (json.kind !== 'list') return `expected "kind": "list" from the ${what} search, got ${JSON.stringify(json.kind)}`
    if (!Array.isArray(items) || items.length !== 1)
      return `expected the ${what} search to find one item, got ${Array.isArray(items) ? items.length : 'no items list'}`
    const [item] = items
    for (const [key, value] of Object.entries(fields)) {
      if (item[key] !== value) return `expected the ${what} search's item to have "${key}": "${value}", got ${JSON.stringify(item[key])}`
    }
    if (typeof item.score !== 'number') return `expected a numeric "score", got ${JSON.stringify(item.score)}`
    const reasons = item.matchReasons
    if (!Array.isArray(reasons) || !reasons.includes('lexical')) return `expected "lexical" among the matchReasons, got ${JSON.stringify(reasons)}`
    return undefined
  })
}

/** stdout of `ktx --version`: `<name> <version>` of the release. */
export function versionText(name: string, version: string): Check {
  const want = `${name} ${version}`
  return r => (r.stdout.trim() === want ? undefined : `expected stdout "${want}" (from the tarball's package.json), got ${JSON.stringify(r.stdout.trim())}`)
}

/** The checks of `ktx --version`: `<name> <version>` of the release on stdout, nothing on stderr. */
export function versionChecks(name: string, version: string): Check[] {
  return [exitsWith(0), stderrEmpty(), versionText(name, version)]
}

/** The daemon phases run only with `daemon: true`. */
export const DAEMON_PHASE = { enabled: (ctx: SmokeContext) => ctx.inputs.daemon, skipReason: 'skipped: daemon is false' }
