import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ADMIN } from '../../src/ktx/generations.js'
import { formatDuration } from '../../src/engine/format.js'
import { OUTPUT_LIMIT, outputsBeforeAnyPhase, outputsOf, trimJsonOutput } from '../../src/action/outputs.js'
import { junitXml } from '../../src/engine/junit.js'
import { reportOf } from '../../src/engine/report.js'
import { SUMMARY_LIMIT, summaryMarkdown } from '../../src/action/summary.js'
import { parseInputs } from '../../src/engine/parse-inputs.js'
import { failureMessage } from '../../src/engine/runner.js'
import { ktxAdvice } from '../../src/ktx/remedies.js'
import { PHASE_NAMES, type PhaseResult, type SmokeResult } from '../../src/engine/context.js'

function smoke(failAt?: (typeof PHASE_NAMES)[number], message = 'Phase x failed: boom'): SmokeResult {
  const failIndex = failAt ? PHASE_NAMES.indexOf(failAt) : PHASE_NAMES.length
  const phases: PhaseResult[] = PHASE_NAMES.map((name, i) => ({
    name,
    title: `title of ${name}`,
    status: i < failIndex ? 'passed' : i === failIndex ? 'failed' : 'skipped',
    durationMs: i <= failIndex ? 1500 : 0,
    commands: [],
    notes: [],
    message: i === failIndex ? message : undefined
  }))
  return {
    result: failAt ? 'failed' : 'passed',
    failedPhase: failAt,
    failure: failAt ? message : undefined,
    phases,
    durationMs: 12345,
    runId: 'r',
    facts: {
      tarball: {
        path: '/t/kaelio-ktx-0.12.0.tgz',
        name: '@kaelio/ktx',
        version: '0.12.0',
        dependencies: {},
        integrity: 'sha512-AAAA',
        sha256: 'ab12',
        wheels: {},
        packedBytes: 1000,
        files: {},
        manifest: {}
      },
      ktxVersion: '0.12.0',
      installs: ['project', 'global'],
      generation: ADMIN,
      statusBefore: 'missing',
      statusAfter: failAt ? undefined : 'ready',
      statusJson: failAt ? undefined : '{"kind":"ready"}',
      features: failAt ? undefined : ['core'],
      runtimeRoot: '/tmp/s/runtime-root',
      daemon: failAt ? undefined : { url: 'http://127.0.0.1:4000', pid: 42 },
      cache: { used: true, key: 'ktx-smoke-v1-k', hit: false }
    }
  }
}

const REPORTS = { json: '/tmp/report.json', junit: '/tmp/junit.xml' }

describe('outputs', () => {
  it('fills every output of a passing run', () => {
    assert.deepEqual(outputsOf(smoke(), REPORTS), {
      result: 'passed',
      'failed-phase': '',
      'ktx-version': '0.12.0',
      'cli-generation': 'admin',
      'runtime-status-before': 'missing',
      'runtime-status-after': 'ready',
      'runtime-status': '{"kind":"ready"}',
      'runtime-features': 'core',
      'runtime-root': '/tmp/s/runtime-root',
      'daemon-url': 'http://127.0.0.1:4000',
      'duration-ms': '12345',
      report: '/tmp/report.json',
      'junit-report': '/tmp/junit.xml',
      'cache-hit': 'false',
      'cache-key': 'ktx-smoke-v1-k',
      'tarball-integrity': 'sha512-AAAA',
      'tarball-sha256': 'ab12',
      installs: 'project,global',
      'startup-ms': '',
      'compare-version': '',
      'size-change-bytes': '',
      'size-change-percent': '',
      'files-added': '',
      'files-removed': '',
      'dependencies-changed': ''
    })
  })

  it('names the failed phase and leaves unknowns empty', () => {
    const out = outputsOf(smoke('lazy-install'), REPORTS)
    assert.equal(out.result, 'failed')
    assert.equal(out['failed-phase'], 'lazy-install')
    assert.equal(out['runtime-status-after'], '')
    assert.equal(out['daemon-url'], '')
  })

  it('trims a huge status that is not JSON with a visible marker', () => {
    const run = smoke()
    run.facts.statusJson = 'x'.repeat(OUTPUT_LIMIT + 10)
    const value = outputsOf(run, REPORTS)['runtime-status']
    assert.ok(value.endsWith('…[trimmed]'))
    assert.equal(value.length, OUTPUT_LIMIT + '…[trimmed]'.length)
  })

  it('trims a huge status JSON into valid JSON, long strings and arrays marked', () => {
    const status = { kind: 'ready', detail: 'ok', installLog: 'y'.repeat(3 * OUTPUT_LIMIT), checks: Array.from({ length: 500 }, (_, i) => ({ id: i })) }
    const value = trimJsonOutput(JSON.stringify(status))
    assert.ok(value.length <= OUTPUT_LIMIT)
    const parsed = JSON.parse(value)
    assert.equal(parsed.kind, 'ready')
    assert.equal(parsed.detail, 'ok')
    assert.equal(parsed.installLog, `${'y'.repeat(2048)}…[trimmed ${3 * OUTPUT_LIMIT - 2048} characters]`)
    assert.equal(parsed.checks.length, 51)
    assert.deepEqual(parsed.checks[50], '…[trimmed 450 items]')
    const small = JSON.stringify({ kind: 'missing' })
    assert.equal(trimJsonOutput(small), small)
  })
})

describe('summary', () => {
  it('tables every phase with status and duration', () => {
    const md = summaryMarkdown(smoke())
    assert.match(md, /^## ktx smoke: ✅ passed/)
    assert.match(md, /runtime status: missing → ready/)
    for (const name of PHASE_NAMES) assert.match(md, new RegExp(`\\| \`${name}\` title of ${name} \\| ✓ passed \\| 1\\.5 s \\|`))
    assert.doesNotMatch(md, /<details>/)
  })

  it('shows the failing phase output collapsed, escaped, and marks later phases skipped', () => {
    const md = summaryMarkdown(smoke('query-execute', 'Phase query-execute failed: expected rows [[3]]\nstderr: <oops> & co'))
    assert.match(md, /❌ failed in `query-execute`/)
    assert.match(md, /\| `runtime-checks` title of runtime-checks \| - skipped \| {2}\|/)
    assert.match(md, /❌ failed in `query-execute`: the release under test is at fault/)
    assert.match(md, /<details><summary>Output of the phase <code>query-execute<\/code><\/summary>/)
    assert.match(md, /<pre>Phase query-execute failed: expected rows \[\[3\]\]\nstderr: &lt;oops&gt; &amp; co<\/pre>/)
  })

  it('stays under the summary limit with megabytes of output', () => {
    const md = summaryMarkdown(smoke('lazy-install', 'y'.repeat(5 * 1024 * 1024)))
    assert.ok(md.length < SUMMARY_LIMIT)
    assert.match(md, /\[… trimmed …\]/)
  })
})

describe('report and messages', () => {
  it('the JSON report carries every phase and the run facts', () => {
    const inputs = parseInputs(n => (n === 'tarball' ? 'x.tgz' : ''))
    const report = reportOf(smoke('daemon-start'), inputs) as Record<string, unknown>
    assert.equal(report.result, 'failed')
    assert.equal(report.failedPhase, 'daemon-start')
    assert.equal(report.cliGeneration, 'admin')
    assert.equal(report.packageManager, 'npm')
    assert.equal((report.phases as PhaseResult[]).length, PHASE_NAMES.length)
  })

  it('a failure message names phase, problem, command, exit code and output tails', () => {
    const message = failureMessage(
      'lazy-install',
      'expected exit code 0, but it exited with 1',
      {
        display: 'ktx sl query --yes',
        exitCode: 1,
        signal: null,
        stdout: '',
        stderr: '◐  Installing ktx Python runtime (core) with uv...\n■  ktx Python runtime install failed: no uv',
        durationMs: 10,
        timedOut: false
      },
      'failed',
      ktxAdvice()
    )
    assert.equal(
      message,
      [
        // ktx's own reason first.
        'ktx: ktx Python runtime install failed: no uv',
        'Phase lazy-install failed: expected exit code 0, but it exited with 1',
        'command: ktx sl query --yes',
        'exit code: 1',
        'stderr (last lines):',
        '◐  Installing ktx Python runtime (core) with uv...',
        '■  ktx Python runtime install failed: no uv',
        'stdout: (empty)'
      ].join('\n')
    )
  })

  it('a failure message keeps the head and tail of a megabyte line', () => {
    const line = `start ${'z'.repeat(1024 * 1024)} the CLI's last words`
    const message = failureMessage(
      'runtime-checks',
      'runtime check(s) failed',
      {
        display: 'ktx admin runtime status',
        exitCode: 0,
        signal: null,
        stdout: line,
        stderr: '',
        durationMs: 10,
        timedOut: false
      },
      'failed',
      ktxAdvice()
    )
    assert.ok(message.length < 4000, `the message holds ${message.length} characters`)
    assert.match(message, /start z+\[… \d+ characters …\]z+ the CLI's last words/)
  })

  it('formats durations', () => {
    assert.equal(formatDuration(250), '250 ms')
    assert.equal(formatDuration(1500), '1.5 s')
    assert.equal(formatDuration(125_000), '2 min 5 s')
  })
})

describe('JUnit report', () => {
  it('has one testcase per phase, with time, the failure and the output', () => {
    const run = smoke('query-execute', 'Phase query-execute failed: expected rows [[3]], got [[2]]\ncommand: ktx sl query --execute')
    run.phases[0].notes.push('tarball: /t/x.tgz')
    run.phases[PHASE_NAMES.indexOf('query-execute')].commands.push({
      command: 'ktx sl query --execute',
      exitCode: 0,
      signal: null,
      timedOut: false,
      durationMs: 5,
      stdout: '{"rows": [[2]]}\u001b[0m',
      stderr: 'warn <x> & y'
    })
    const xml = junitXml(run)
    assert.equal([...xml.matchAll(/<testcase /g)].length, PHASE_NAMES.length)
    const skipped = PHASE_NAMES.length - PHASE_NAMES.indexOf('query-execute') - 1
    assert.match(
      xml,
      new RegExp(
        `<testsuite name="ktx smoke: @kaelio/ktx 0\\.12\\.0" time="12\\.345" tests="${PHASE_NAMES.length}" failures="1" errors="0" skipped="${skipped}">`
      )
    )
    assert.match(xml, /<testcase classname="ktx-smoke" name="package" time="1\.5">\s*<system-out>\s*<!\[CDATA\[tarball: \/t\/x\.tgz\]\]>/)
    assert.match(
      xml,
      /<testcase classname="ktx-smoke" name="query-execute" time="1\.5">\s*<failure message="Phase query-execute failed: expected rows \[\[3\]\], got \[\[2\]\]" type="phase-failure"><!\[CDATA\[command: ktx sl query --execute\]\]><\/failure>/
    )
    assert.match(xml, /<!\[CDATA\[\$ ktx sl query --execute\n\{"rows": \[\[2\]\]\}\[0m\]\]>/)
    assert.match(xml, /<system-err>\s*<!\[CDATA\[warn <x> & y\]\]>/)
    assert.match(xml, /<testcase classname="ktx-smoke" name="daemon-stop" time="0">\s*<skipped message="skipped">\s*<\/skipped>/)
  })
})

describe('whose fault', () => {
  /** The run stopped at `phase` with `verdict`, the phase marked the same. */
  const stoppedAs = (verdict: 'error' | 'cancelled', phase: (typeof PHASE_NAMES)[number]): ReturnType<typeof smoke> => {
    const run = smoke(phase, `Phase ${phase} could not run: Input tarball: no file at "x.tgz"`)
    run.result = verdict
    run.phases[PHASE_NAMES.indexOf(phase)].status = verdict
    return run
  }

  it('an error is a JUnit <error>, a failure a <failure>', () => {
    const xml = junitXml(stoppedAs('error', 'install'))
    assert.match(xml, new RegExp(`tests="${PHASE_NAMES.length}" failures="0" errors="1" skipped="${PHASE_NAMES.length - 2}"`))
    assert.match(xml, /<error message="Phase install could not run: Input tarball: no file at &quot;x\.tgz&quot;" type="smoke-error"\/>/)
    assert.doesNotMatch(xml, /<failure /)
    assert.match(junitXml(stoppedAs('cancelled', 'lazy-install')), /<error message="[^"]*" type="cancelled"\/>/)
  })

  it('the summary headline says whose fault it is', () => {
    assert.match(
      summaryMarkdown(stoppedAs('error', 'install')),
      /^## ktx smoke: ⚠️ error in `install`: the smoke could not run \(the input, the runner or the action is at fault\); the release was not judged/
    )
    assert.match(summaryMarkdown(stoppedAs('cancelled', 'daemon-reuse')), /^## ktx smoke: ⊘ cancelled during `daemon-reuse`/)
    assert.match(summaryMarkdown(stoppedAs('error', 'install')), /<details open><summary>Output of the phase <code>install<\/code>/)
  })

  it('lists what ktx wrote under the sandbox HOME', () => {
    const run = smoke()
    run.facts.homeWrites = [{ phase: 'version', files: ['.cache/ktx/models.json', '.ktx/logs/ktx.log'] }]
    assert.match(summaryMarkdown(run), /Written under the sandbox HOME[\s\S]*- `version`: `~\/\.cache\/ktx\/models\.json`, `~\/\.ktx\/logs\/ktx\.log`/)
  })
})

describe('outputs and action.yml', () => {
  it('sets exactly the outputs action.yml declares, also before any phase ran', async () => {
    const { readFileSync } = await import('node:fs')
    const yml = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8')
    const declared = [...yml.slice(yml.indexOf('\noutputs:')).matchAll(/^ {2}([a-z0-9-]+):$/gm)].map(m => m[1])
    assert.deepEqual(Object.keys(outputsOf(smoke(), REPORTS)), declared)
    assert.deepEqual(Object.keys(outputsBeforeAnyPhase()), declared)
    assert.equal(outputsBeforeAnyPhase().result, 'error')
    assert.equal(outputsBeforeAnyPhase()['cache-hit'], 'false')
  })
})
