import junitModule, { type Builder } from 'junit-report-builder'
import type { SmokeResult } from '../smoke.js'

// A CommonJS package: Node hands its exports object to `import`, a bundler may hand the default.
const junit = ((junitModule as unknown as { default?: Builder }).default ?? junitModule) as unknown as Builder

/** Characters XML 1.0 cannot carry at all (CLI output may hold control codes). */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

const clean = (text: string): string => text.replace(NOT_XML, '')

/**
 * JUnit XML: one testsuite, one testcase per phase with its time, a failure with the phase's
 * message, skipped phases marked, and each phase's commands and output as system-out/err.
 */
export function junitXml(result: SmokeResult): string {
  const builder = junit.newBuilder()
  const f = result.facts
  const suite = builder
    .testSuite()
    .name(`ktx smoke${f.tarball ? `: ${f.tarball.name} ${f.tarball.version}` : ''}`)
    .time(result.durationMs / 1000)
  for (const phase of result.phases) {
    const test = suite
      .testCase()
      .className('ktx-smoke')
      .name(phase.name)
      .time(phase.durationMs / 1000)
    if (phase.status === 'skipped') test.skipped()
    if (phase.status === 'failed') {
      const [headline, ...details] = clean(phase.message ?? `${phase.name} failed`).split('\n')
      test.failure(headline, 'phase-failure').stacktrace(details.join('\n'))
    }
    const out = [...phase.notes, ...phase.commands.flatMap(c => [`$ ${c.command}`, c.stdout.trimEnd()].filter(Boolean))].join('\n')
    const err = phase.commands
      .map(c => c.stderr.trimEnd())
      .filter(Boolean)
      .join('\n')
    if (out) test.standardOutput(clean(out))
    if (err) test.standardError(clean(err))
  }
  return builder.build()
}
