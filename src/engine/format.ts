export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const minutes = Math.floor(ms / 60_000)
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`
}

/** A size limit: a share of the size before (`10%`) or bytes (`500kB`, `2 MB`, `1MiB`, `300000`). */
export type SizeLimit = { percent: number } | { bytes: number }

const UNITS: Record<string, number> = { b: 1, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }

/** Parses a size limit; undefined when the text is none. */
export function parseSizeLimit(text: string): SizeLimit | undefined {
  const m = text.trim().match(/^(\d+(?:\.\d+)?)\s*(%|b|kb|mb|gb|kib|mib|gib)?$/i)
  if (!m) return undefined
  const n = Number(m[1])
  if (m[2] === '%') return { percent: n }
  return { bytes: Math.round(n * UNITS[(m[2] ?? 'b').toLowerCase()]) }
}

/** Bytes as people read them: `1.5 MB`, `612.3 kB`, `980 B`. */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes)
  if (abs < 1000) return `${bytes} B`
  if (abs < 1000 ** 2) return `${(bytes / 1000).toFixed(1)} kB`
  return `${(bytes / 1000 ** 2).toFixed(2)} MB`
}
