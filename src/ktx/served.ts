// A release just published may not be served by the registry yet: npm answers E404 or ETARGET,
// pnpm "No matching version found for …". Commands that fetch it try again, with backoff, for up
// to registry-wait seconds.
import { sleep, type CommandResult } from '../host/command.js'
import type { RegistryWait } from '../engine/context.js'
import type { PhaseScope } from '../engine/scope.js'

/** What the package manager said when the registry does not serve the release (yet), if that is what it said. */
export function notServedYet(stderr: string): string | undefined {
  const npm = stderr.match(/npm (?:error|ERR!) code (E404|ETARGET)\b/)?.[1]
  if (npm) return npm
  return /No matching version found for /.test(stderr) ? 'no matching version' : undefined
}

/** Waits between tries: 1 s, then doubling up to 30 s. */
export function nextWait(previousMs: number): number {
  return previousMs === 0 ? 1000 : Math.min(previousMs * 2, 30_000)
}

/**
 * Runs `attempt`, and again after a growing wait while the registry does not serve `wait.spec`
 * yet, logging each wait in the phase, until `wait.seconds` would be exceeded. Without `wait` (a
 * release from a file) it runs once. Returns the last result and, if the registry still did not
 * serve the release, what the package manager said.
 */
export async function untilServed(
  s: PhaseScope,
  wait: RegistryWait | undefined,
  attempt: () => Promise<CommandResult>
): Promise<{ result: CommandResult; notServed?: string }> {
  const started = Date.now()
  for (let pause = 0, tries = 1; ; tries++) {
    const result = await attempt()
    const notServed = notServedYet(result.stderr)
    const waited = Date.now() - started
    if (!notServed || !wait) {
      // Served at the first answer: nothing to say. After waiting: how long it took.
      if (wait && tries > 1) s.progress(`registry: ${wait.spec} is served now, after ${seconds(waited)} and ${tries} tries`)
      return { result, notServed }
    }
    pause = nextWait(pause)
    if (waited + pause > wait.seconds * 1000) {
      s.progress(
        `registry: ${wait.spec} is still not served (${notServed}) after ${seconds(waited)} and ${tries} tries; registry-wait (${wait.seconds} s) is used up`
      )
      return { result, notServed }
    }
    s.progress(
      `registry: ${wait.spec} is not served yet (${notServed}); trying again in ${pause / 1000} s (${seconds(waited)} of registry-wait ${wait.seconds} s used)`
    )
    await sleep(pause)
  }
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`
