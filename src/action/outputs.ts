import type { SmokeResult } from '../engine/context.js'
import { sizeChange, type Comparison } from '../ktx/compare.js'

import { LIMITS } from '../engine/limits.js'

/** Longest value of one output; the runner allows 1 MiB for all of a job's outputs. */
export const OUTPUT_LIMIT = LIMITS.output

export function trimOutput(value: string): string {
  return value.length <= OUTPUT_LIMIT ? value : `${value.slice(0, OUTPUT_LIMIT)}…[trimmed]`
}

const JSON_STRING_LIMIT = 2048
const JSON_ARRAY_LIMIT = 50

/**
 * A JSON value too long for one output, shortened so that it stays valid JSON for fromJSON():
 * long strings and arrays are cut with a visible marker. Falls back to plain trimming.
 */
export function trimJsonOutput(json: string): string {
  if (json.length <= OUTPUT_LIMIT) return json
  const shorten = (value: unknown): unknown => {
    if (typeof value === 'string') {
      return value.length <= JSON_STRING_LIMIT ? value : `${value.slice(0, JSON_STRING_LIMIT)}…[trimmed ${value.length - JSON_STRING_LIMIT} characters]`
    }
    if (Array.isArray(value)) {
      const kept = value.slice(0, JSON_ARRAY_LIMIT).map(shorten)
      return value.length <= JSON_ARRAY_LIMIT ? kept : [...kept, `…[trimmed ${value.length - JSON_ARRAY_LIMIT} items]`]
    }
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shorten(v)]))
    return value
  }
  try {
    const short = JSON.stringify(shorten(JSON.parse(json)))
    if (short.length <= OUTPUT_LIMIT) return short
  } catch {
    // Not JSON after all: trim as text.
  }
  return trimOutput(json)
}

/** The outputs of a run stopped before any phase (bad input, the caller's fault): all set, mostly empty. */
export function outputsBeforeAnyPhase(): Record<string, string> {
  const values: Record<string, string> = { result: 'error', 'cache-hit': 'false' }
  return Object.fromEntries(OUTPUT_NAMES.map(name => [name, values[name] ?? '']))
}

export const OUTPUT_NAMES = [
  'result',
  'failed-phase',
  'ktx-version',
  'cli-generation',
  'runtime-status-before',
  'runtime-status-after',
  'runtime-status',
  'runtime-features',
  'runtime-root',
  'daemon-url',
  'duration-ms',
  'report',
  'junit-report',
  'cache-hit',
  'cache-key',
  'tarball-integrity',
  'tarball-sha256',
  'installs',
  'startup-ms',
  'compare-version',
  'size-change-bytes',
  'size-change-percent',
  'files-added',
  'files-removed',
  'dependencies-changed'
] as const

/** The outputs of a comparison with compare-to; empty when there was none. */
function comparisonOutputs(
  c?: Comparison
): Record<'compare-version' | 'size-change-bytes' | 'size-change-percent' | 'files-added' | 'files-removed' | 'dependencies-changed', string> {
  const change = c && sizeChange(c.unpacked)
  return {
    'compare-version': c?.base.version ?? '',
    'size-change-bytes': change ? String(change.bytes) : '',
    'size-change-percent': change?.percent === undefined ? '' : String(change.percent),
    'files-added': c ? String(c.files.added.length) : '',
    'files-removed': c ? String(c.files.removed.length) : '',
    'dependencies-changed': c ? String(c.dependencies.length) : ''
  }
}

/** Every output of action.yml, always set (empty when unknown), from one result. */
export function outputsOf(result: SmokeResult, reports: { json: string; junit: string }): Record<(typeof OUTPUT_NAMES)[number], string> {
  const f = result.facts
  return {
    result: result.result,
    'failed-phase': result.failedPhase ?? '',
    'ktx-version': f.ktxVersion ?? '',
    'cli-generation': f.generation?.id ?? '',
    'runtime-status-before': f.statusBefore ?? '',
    'runtime-status-after': f.statusAfter ?? '',
    'runtime-status': trimJsonOutput(f.statusJson ?? ''),
    'runtime-features': (f.features ?? []).join(','),
    'runtime-root': f.runtimeRoot ?? '',
    'daemon-url': f.daemon?.url ?? '',
    'duration-ms': String(result.durationMs),
    report: reports.json,
    'junit-report': reports.junit,
    'cache-hit': String(f.cache?.hit ?? false),
    'cache-key': f.cache?.used ? f.cache.key : '',
    'tarball-integrity': f.tarball?.integrity ?? '',
    'tarball-sha256': f.tarball?.sha256 ?? '',
    installs: (f.installs ?? []).join(','),
    'startup-ms': f.startupMs === undefined ? '' : String(f.startupMs),
    ...comparisonOutputs(f.comparison)
  }
}
