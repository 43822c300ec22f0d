import path from 'node:path'
import semver from 'semver'
/**
 * The two generations of ktx's runtime commands (KTX_CONTRACT.md §1), as data: which command does
 * what, what it prints, and how the fixture project looks. Everything generation-specific is here.
 */
export type GenerationId = 'admin' | 'runtime'

export interface Generation {
  id: GenerationId
  /** Shown in logs and the summary. */
  label: string
  /** `--help` of this group exits 0 only on this generation: the probe for `cli-generation: auto`. */
  probe: string[]
  status: string[]
  /** The text report whose three check lines must all PASS. */
  checks: string[]
  start: string[]
  stop: string[]
  /** Explicit runtime install of a feature (admin generation only). */
  install?: (feature: string) => string[]
  /** Extra `start` arguments for a feature (admin generation only). */
  startFeature?: (feature: string) => string[]
  setup: (projectDir: string) => string[]
  /** What `setup` must print on stdout, if anything. */
  setupStdout?: RegExp
  /** Exit code of `status` for a runtime of this kind. */
  statusExitCode: (kind: string) => number
  /** `ktx.yaml` of the fixture project. */
  projectYaml: string
  messages: {
    installing: RegExp
    ready: RegExp
    started: RegExp
    reused: RegExp
    stopped: RegExp
  }
}

const SETUP_SKIPS = ['--no-input', '--yes', '--skip-llm', '--skip-embeddings', '--skip-databases', '--skip-sources', '--skip-agents']

const STORAGE_AND_SCAN = `storage:
  state: sqlite
  search: sqlite-fts5
scan:
  enrichment:
    mode: deterministic
`

export const ADMIN: Generation = {
  id: 'admin',
  label: 'admin (ktx admin runtime …, 0.4+)',
  probe: ['admin', 'runtime', '--help'],
  status: ['admin', 'runtime', 'status', '--json'],
  checks: ['admin', 'runtime', 'status'],
  start: ['admin', 'runtime', 'start'],
  stop: ['admin', 'runtime', 'stop'],
  install: feature => ['admin', 'runtime', 'install', '--feature', feature, '--yes'],
  startFeature: feature => ['--feature', feature],
  setup: dir => ['setup', '--project-dir', dir, ...SETUP_SKIPS],
  statusExitCode: kind => (kind === 'ready' ? 0 : 1),
  projectYaml: `connections:
  warehouse:
    driver: sqlite
    path: warehouse.db
${STORAGE_AND_SCAN}`,
  messages: {
    // ≤0.10 upper-case, 0.11+ lower-case.
    installing: /^Installing (?:ktx|KTX) Python runtime \(([^)]*)\) with uv\.\.\.$/,
    ready: /^(?:ktx|KTX) Python runtime ready: (.+)$/,
    // ≤0.11 "KTX daemon", 0.12 "ktx daemon".
    started: /^Started (?:ktx|KTX) daemon$/,
    reused: /^Using existing (?:ktx|KTX) daemon$/,
    stopped: /^Stopped (?:ktx|KTX) daemon$/
  }
}

export const RUNTIME: Generation = {
  id: 'runtime',
  label: 'runtime (ktx runtime …, pre-0.4)',
  probe: ['runtime', '--help'],
  status: ['runtime', 'status', '--json'],
  checks: ['runtime', 'doctor'],
  start: ['runtime', 'start'],
  stop: ['runtime', 'stop'],
  setup: dir => ['setup', '--project-dir', dir, '--new', ...SETUP_SKIPS],
  setupStdout: /^Project: /,
  statusExitCode: () => 0,
  projectYaml: `project: warehouse
connections:
  warehouse:
    driver: sqlite
    path: warehouse.db
    readonly: true
${STORAGE_AND_SCAN}`,
  messages: {
    installing: /^Installing KTX Python runtime \(([^)]*)\) with uv\.\.\.$/,
    ready: /^KTX Python runtime ready: (.+)$/,
    started: /^Started KTX Python daemon$/,
    reused: /^Using existing KTX Python daemon$/,
    stopped: /^Stopped KTX Python daemon$/
  }
}

export const GENERATIONS: Record<GenerationId, Generation> = { admin: ADMIN, runtime: RUNTIME }

/** The ordered probe for `auto`: the current generation first. */
export const PROBE_ORDER: Generation[] = [ADMIN, RUNTIME]

/** The `sl query` both generations use for the lazy install and the executed query. */
export function slQuery(projectDir: string, extra: string[]): string[] {
  return ['sl', 'query', '--connection-id', 'warehouse', '--measure', 'orders.order_count', '--format', 'json', ...extra, '--project-dir', projectDir]
}

/** Shape of `status --json` (contract §3), as far as the smoke reads it. */
export interface RuntimeStatus {
  kind: string
  detail?: string
  layout?: { cliVersion?: string; runtimeRoot?: string; versionDir?: string; manifestPath?: string }
  manifest?: { cliVersion?: string; features?: string[] }
  checks?: { status: string; id: string; label: string; detail?: string; fix?: string }[]
}

export const ORDERS_YAML = `name: orders
table: orders
grain:
  - id
columns:
  - name: id
    type: number
  - name: amount
    type: number
measures:
  - name: order_count
    expr: count(*)
joins: []
`

/** The wiki page ktx's own release smoke writes into the project, found by `ktx wiki revenue`. */
export const REVENUE_WIKI = `---
summary: Paid order value
tags:
  - finance
refs: []
sl_refs: []
usage_mode: auto
---

Revenue is the sum of paid order amounts.
`

/** The three check lines every status / doctor report carries, in order (contract §3). */
export const CHECK_LABELS = ['uv', 'Bundled Python wheel', 'Managed Python runtime']

/** Releases that download their own pinned uv into `<root>/uv/<uv version>/uv` (contract §5), newest first. */
export const MANAGED_UV: { since: string; uvVersion: string }[] = [{ since: '0.12.0', uvVersion: '0.11.21' }]

/** Where a release downloads its own uv, `<root>/uv/<uv version>/uv` (0.12+), or undefined before. */
export function managedUvPath(cliVersion: string, runtimeRoot: string): string | undefined {
  const managed = MANAGED_UV.find(m => semver.gte(cliVersion, m.since))
  return managed && path.join(runtimeRoot, 'uv', managed.uvVersion, process.platform === 'win32' ? 'uv.exe' : 'uv')
}
