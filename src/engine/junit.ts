import xml, { type XmlObject } from 'xml'
import type { SmokeResult } from './context.js'

/** Characters XML 1.0 cannot carry at all (CLI output may hold control codes). */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu

const clean = (text: string): string => text.replace(NOT_XML, '')

/** Seconds with millisecond precision, as JUnit readers expect. */
const seconds = (ms: number): number => Math.round(ms) / 1000

/**
 * JUnit XML: one testsuite, one testcase per phase with its time, a failure with the phase's
 * message, skipped phases marked, and each phase's commands and output as system-out/err.
 */
export function junitXml(result: SmokeResult): string {
  const f = result.facts
  const failures = result.phases.filter(p => p.status === 'failed').length
  const errors = result.phases.filter(p => p.status === 'error' || p.status === 'cancelled').length
  const skipped = result.phases.filter(p => p.status === 'skipped').length
  const counts = { tests: result.phases.length, failures, errors, skipped }
  const cases: XmlObject[] = result.phases.map(phase => {
    const children: XmlObject[] = [{ _attr: { classname: 'ktx-smoke', name: phase.name, time: seconds(phase.durationMs) } }]
    if (phase.status === 'skipped') children.push({ skipped: [{ _attr: { message: phase.message ?? 'skipped' } }] })
    // A failure is the release's; an error (or a cancellation) means the phase could not judge it.
    if (phase.status === 'failed' || phase.status === 'error' || phase.status === 'cancelled') {
      const [headline, ...details] = clean(phase.message ?? `${phase.name} ${phase.status}`).split('\n')
      const element = phase.status === 'failed' ? 'failure' : 'error'
      const type = { failed: 'phase-failure', error: 'smoke-error', cancelled: 'cancelled' }[phase.status]
      children.push({ [element]: { _attr: { message: headline, type }, _cdata: details.join('\n') } })
    }
    const out = [...phase.notes, ...phase.commands.flatMap(c => [`$ ${c.command}`, c.stdout.trimEnd()].filter(Boolean))].join('\n')
    const err = phase.commands
      .map(c => c.stderr.trimEnd())
      .filter(Boolean)
      .join('\n')
    if (out) children.push({ 'system-out': { _cdata: clean(out) } })
    if (err) children.push({ 'system-err': { _cdata: clean(err) } })
    return { testcase: children }
  })
  const name = `ktx smoke${f.tarball ? `: ${f.tarball.name} ${f.tarball.version}` : ''}`
  const suite = { testsuite: [{ _attr: { name, time: seconds(result.durationMs), ...counts } }, ...cases] }
  return `${xml({ testsuites: [{ _attr: counts }, suite] }, { declaration: { encoding: 'UTF-8' }, indent: '  ' })}\n`
}
