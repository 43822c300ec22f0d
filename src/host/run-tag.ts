// Linux: a mark that every process of one run inherits and that no process of another run of the
// same user can take on, to tell two smoke runs on one host apart (several self-hosted runners
// under one account, or ktx-smoke run twice). An escapee drops the run's variable, its sandbox
// path and its parent; it keeps its resource limits, which fork and exec pass on and which a
// process without privileges can only lower. At its start the run lowers two hard limits of its
// own process that no Linux since 2.6 enforces (file locks, resident set size) to values of its
// own, x and y, with x + y the same for every run. What its processes start inherits both. A
// process of another run has (x', y') with x' < x and so y' > y, or the other way round: a
// process is the run's when both its limits are at most the run's. One of the run's that lowers
// its own limits further stays the run's. What this cannot rule out: a process of another run
// that reads this run's limits (/proc/<pid>/limits) and lowers its own below them on purpose is
// taken for this run's, and stopped by it.
import { spawnSync } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'

/** The run's two limits, as decimal strings (they exceed 2^53). */
export interface RunTag {
  locks: string
  rss: string
}

/** Far above anything real (1 TiB of locks, 1 TiB of resident memory), far below "unlimited". */
const BASE = 2n ** 40n
/** Each run takes x = BASE + r and y = BASE + SPAN - r, for a random r in [0, SPAN]. */
const SPAN = 2n ** 40n - 1n

/** The hard limits of file locks and resident set size in `/proc/<pid>/limits`; undefined when unreadable. */
export function parseLimits(text: string): { locks: bigint; rss: bigint } | undefined {
  const hard = (label: string): bigint | undefined => {
    const m = text.match(new RegExp(`^${label}\\s+\\S+\\s+(\\S+)`, 'm'))
    if (!m) return undefined
    return m[1] === 'unlimited' ? 2n ** 64n - 1n : /^\d+$/.test(m[1]) ? BigInt(m[1]) : undefined
  }
  const locks = hard('Max file locks')
  const rss = hard('Max resident set')
  return locks === undefined || rss === undefined ? undefined : { locks, rss }
}

function limitsOf(pid: number | 'self'): { locks: bigint; rss: bigint } | undefined {
  try {
    return parseLimits(readFileSync(`/proc/${pid}/limits`, 'utf8'))
  } catch {
    return undefined
  }
}

/**
 * Tags this process (and so all it starts from now on) with limits of its own, by util-linux's
 * `prlimit` (Node has no setrlimit). Undefined where that cannot be done: not Linux, no prlimit,
 * or limits already below the tag's (a process inside a tagged run, or a host that lowered them).
 */
export function tagThisProcess(): RunTag | undefined {
  if (process.platform !== 'linux') return undefined
  const r = BigInt(randomInt(2 ** 40 - 1))
  const tag = { locks: String(BASE + r), rss: String(BASE + SPAN - r) }
  try {
    const set = spawnSync('prlimit', ['--pid', String(process.pid), `--locks=${tag.locks}:${tag.locks}`, `--rss=${tag.rss}:${tag.rss}`], {
      stdio: 'ignore',
      timeout: 10_000
    })
    if (set.status !== 0) return undefined
  } catch {
    return undefined
  }
  const now = limitsOf('self')
  return now && String(now.locks) === tag.locks && String(now.rss) === tag.rss ? tag : undefined
}

/** Whether a process carries the run's tag: both its limits at most the run's (unreadable: no). */
export function carriesTag(pid: number, tag: RunTag): boolean {
  const limits = limitsOf(pid)
  return limits !== undefined && limits.locks <= BigInt(tag.locks) && limits.rss <= BigInt(tag.rss)
}

/** The tag as the post step gets it (GITHUB_STATE), and back. */
export const tagText = (tag: RunTag): string => `${tag.locks}:${tag.rss}`
export function tagFrom(text: string | undefined): RunTag | undefined {
  const m = text?.match(/^(\d+):(\d+)$/)
  return m ? { locks: m[1], rss: m[2] } : undefined
}
