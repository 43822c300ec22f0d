import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { tempParent } from '../host/sandbox.js'
import { DEFAULTS, type Inputs } from './inputs.js'
import type { Facts, SmokeResult } from './context.js'

/** Which matrix cell a run is: what `summarize` names its column by and tells cells apart with. */
export interface Cell {
  /** The `cell` input, or `<os>-<arch> node<major> <package manager>` (and the installs when not the default). */
  name: string
  /** linux, darwin or win32, as Node names them. */
  os: string
  arch: string
  /** The Node on PATH that ktx ran on (`v22.13.1`); null when the run stopped before it was found. */
  node: string | null
  packageManager: string
  packageManagerVersion: string | null
  installs: string[]
}

/** The run's cell: this machine, the Node and package manager the package phase found, the inputs. */
export function cellOf(facts: Facts, inputs: Inputs, platform: string = process.platform, arch: string = process.arch): Cell {
  const node = facts.runner?.nodeVersion ?? null
  const major = node ? /^v?(\d+)/.exec(node)?.[1] : undefined
  const installs = inputs.installs.join(',') === DEFAULTS.installs ? [] : [inputs.installs.join('+')]
  const name = [`${platform}-${arch}`, ...(major ? [`node${major}`] : []), inputs.packageManager, ...installs].join(' ')
  return {
    name: inputs.cell || name,
    os: platform,
    arch,
    node,
    packageManager: inputs.packageManager,
    packageManagerVersion: facts.runner?.managerVersion ?? null,
    installs: inputs.installs
  }
}

/** The CLI's own reason, when the failure message leads with it (it does not start with "Phase "). */
export function reasonOf(failure: string | null | undefined): string | undefined {
  const first = failure?.split('\n')[0]
  if (!first || first.startsWith('Phase ')) return undefined
  return first.length > 600 ? `${first.slice(0, 600)}…` : first
}

/** The JSON report: every phase with status, duration, commands, exit codes and trimmed output. */
export function reportOf(result: SmokeResult, inputs: Inputs): object {
  const f = result.facts
  return {
    schemaVersion: 1,
    cell: cellOf(f, inputs),
    result: result.result,
    failedPhase: result.failedPhase ?? null,
    failure: result.failure ?? null,
    durationMs: result.durationMs,
    tarball: f.tarball
      ? { path: f.tarball.path, name: f.tarball.name, version: f.tarball.version, integrity: f.tarball.integrity, sha256: f.tarball.sha256 }
      : null,
    installs: f.installs ?? [],
    homeWrites: f.homeWrites ?? [],
    envPassedThrough: f.passedThrough ?? [],
    ktxVersion: f.ktxVersion ?? null,
    cliGeneration: f.generation?.id ?? null,
    packageManager: inputs.packageManager,
    runtimeRoot: f.runtimeRoot ?? null,
    sandbox: result.sandbox?.root ?? null,
    runtimeStatusBefore: f.statusBefore ?? null,
    runtimeStatusAfter: f.statusAfter ?? null,
    runtimeFeatures: f.features ?? [],
    daemonUrl: f.daemon?.url ?? null,
    watchMs: f.watchMs ?? 0,
    startupMs: f.startupMs ?? null,
    compareStartupMs: f.baselineStartupMs ?? null,
    comparison: f.comparison ?? null,
    phases: result.phases
  }
}

/** Where a run's JSON and JUnit reports go by default: beside the sandboxes, named by the run. */
export function reportPaths(runId: string): { json: string; junit: string } {
  return {
    json: path.join(tempParent(), `ktx-smoke-report-${runId}.json`),
    junit: path.join(tempParent(), `ktx-smoke-junit-${runId}.xml`)
  }
}

export function writeReport(file: string, result: SmokeResult, inputs: Inputs): void {
  writeFileSync(file, `${JSON.stringify(reportOf(result, inputs), null, 2)}\n`)
}
