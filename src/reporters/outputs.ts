import type { SmokeResult } from '../smoke.js'

/** Longest value of one output; the runner allows 1 MiB for all of a job's outputs. */
export const OUTPUT_LIMIT = 64 * 1024

export function trimOutput(value: string): string {
  return value.length <= OUTPUT_LIMIT ? value : `${value.slice(0, OUTPUT_LIMIT)}…[trimmed]`
}

/** Every output of action.yml, always set (empty when unknown), from one result. */
export function outputsOf(result: SmokeResult, reportPath: string): Record<string, string> {
  const f = result.facts
  return {
    result: result.result,
    'failed-phase': result.failedPhase ?? '',
    'ktx-version': f.ktxVersion ?? '',
    'cli-generation': f.generation?.id ?? '',
    'runtime-status-before': f.statusBefore ?? '',
    'runtime-status-after': f.statusAfter ?? '',
    'runtime-status': trimOutput(f.statusJson ?? ''),
    'runtime-features': (f.features ?? []).join(','),
    'runtime-root': f.runtimeRoot ?? '',
    'daemon-url': f.daemon?.url ?? '',
    'duration-ms': String(result.durationMs),
    report: reportPath
  }
}
