import { readdirSync, type Dirent } from 'node:fs'
import path from 'node:path'

/** Entries read at most per look, so that a release that floods HOME cannot stall the run. */
const MAX_ENTRIES = 20_000

/** Where ktx keeps its runtime by default (contract §3): never to be written with KTX_RUNTIME_ROOT set. */
export const DEFAULT_RUNTIME = '.ktx/runtime'

/**
 * Watches the sandbox HOME that ktx commands run with: each look returns the files that appeared
 * since the previous one, relative to HOME with `/` separators.
 */
export class HomeWatch {
  private readonly seen = new Set<string>()

  constructor(readonly home: string) {}

  newFiles(): string[] {
    let entries: Dirent[] = []
    try {
      entries = readdirSync(this.home, { recursive: true, withFileTypes: true })
    } catch {
      return []
    }
    const fresh: string[] = []
    for (const entry of entries.slice(0, MAX_ENTRIES)) {
      if (entry.isDirectory()) continue
      const rel = path.relative(this.home, path.join(entry.parentPath, entry.name)).split(path.sep).join('/')
      if (this.seen.has(rel)) continue
      this.seen.add(rel)
      fresh.push(rel)
    }
    return fresh.sort()
  }
}

/** Files of a list that belong to a runtime under the default root `~/.ktx/runtime`. */
export function runtimeFiles(files: string[]): string[] {
  return files.filter(f => f === DEFAULT_RUNTIME || f.startsWith(`${DEFAULT_RUNTIME}/`))
}
