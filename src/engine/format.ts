import type { PhaseStatus } from './context.js'

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`
}

export const STATUS_MARK: Record<PhaseStatus, string> = { passed: '✓', failed: '✗', error: '!', cancelled: '⊘', skipped: '-' }
