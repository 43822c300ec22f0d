import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { tempParent } from '../host/sandbox.js'
import type { Inputs } from './inputs.js'
import type { SmokeResult } from './context.js'

/** The JSON report: every phase with status, duration, commands, exit codes and trimmed output. */
export function reportOf(result: SmokeResult, inputs: Inputs): object {
  const f = result.facts
  return {
    schemaVersion: 1,
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
