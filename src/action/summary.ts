import { LIMITS } from '../engine/limits.js'
import { type SmokeResult, STATUS_MARK } from '../engine/context.js'
import { escapeHtml, formatDuration, markdownCell as cell, markdownTable } from '../engine/format.js'
import { comparisonTables } from '../ktx/compare.js'
import { reasonOf } from '../engine/report.js'

/** The runner accepts at most 1 MiB per step summary; stay well below. */
export const SUMMARY_LIMIT = LIMITS.summary
const FAILURE_OUTPUT_LIMIT = LIMITS.failureInSummary

/** The headline leads with the CLI's own reason, and says whose fault a red run is. */
export function verdictLine(result: SmokeResult): string {
  const phase = `\`${result.failedPhase}\``
  const reason = reasonOf(result.failure)
  switch (result.result) {
    case 'passed':
      return '✅ passed'
    case 'failed':
      return reason
        ? `❌ ${cell(reason)} (failed in ${phase}: the release under test is at fault)`
        : `❌ failed in ${phase}: the release under test is at fault`
    case 'error':
      return `⚠️ ${reason ? `${cell(reason)} (error in ${phase}` : `error in ${phase}`}: the smoke could not run (the input, the runner or the action is at fault); the release was not judged${reason ? ')' : ''}`
    case 'cancelled':
      return `⊘ cancelled during ${phase}`
  }
}

function cacheWords(result: SmokeResult): string {
  const c = result.facts.cache
  if (!c) return 'not reached'
  if (!c.used) return `not used (${cell(c.reason ?? '')})`
  return c.hit ? 'hit' : c.restoredKey ? 'partial hit' : 'miss'
}

/** The job summary as Markdown: verdict, phase table, runtime status, and the failing phase's output. */
export function summaryMarkdown(result: SmokeResult): string {
  const f = result.facts
  const what = f.tarball ? `${f.tarball.name} ${f.tarball.version}` : 'ktx'
  const lines = [`## ktx smoke: ${verdictLine(result)}`, '']
  const about = [`**${cell(what)}**`]
  if (f.generation) about.push(`CLI generation: ${cell(f.generation.label)}`)
  about.push(`runtime status: ${f.statusBefore ?? 'not reached'} → ${f.statusAfter ?? 'not reached'}`)
  about.push(`cache: ${cacheWords(result)}`)
  about.push(`total ${formatDuration(result.durationMs)}`)
  lines.push(about.join(' · '), '')
  if (f.tarball) lines.push(`Tarball \`${cell(f.tarball.integrity)}\` (sha256 \`${f.tarball.sha256}\`)`, '')
  lines.push('| Phase | Status | Duration |', '|---|---|---|')
  for (const p of result.phases) {
    lines.push(`| \`${p.name}\` ${cell(p.title)} | ${STATUS_MARK[p.status]} ${p.status} | ${p.status === 'skipped' ? '' : formatDuration(p.durationMs)} |`)
  }
  const writes = f.homeWrites ?? []
  if (writes.length > 0) {
    lines.push('', '**⚠️ Written under the sandbox HOME** (a release should keep its files in the runtime root or the project):', '')
    for (const w of writes) lines.push(`- \`${w.phase}\`: ${w.files.map(file => `\`~/${cell(file)}\``).join(', ')}`)
  }
  if (f.startupMs !== undefined) {
    const base =
      f.comparison && f.baselineStartupMs !== undefined ? ` (${cell(`${f.comparison.base.name}@${f.comparison.base.version}`)}: ${f.baselineStartupMs} ms)` : ''
    lines.push('', `\`ktx --version\` starts in ${f.startupMs} ms (median of 5)${base}`)
  }
  if (f.comparison) for (const table of comparisonTables(f.comparison)) lines.push('', ...markdownTable(table))
  const failed = result.phases.find(p => p.name === result.failedPhase && p.status !== 'skipped')
  if (failed?.message) {
    let message = failed.message
    if (message.length > FAILURE_OUTPUT_LIMIT) message = `${message.slice(0, FAILURE_OUTPUT_LIMIT)}\n[… trimmed …]`
    lines.push(
      '',
      `<details${result.result === 'failed' ? '' : ' open'}><summary>Output of the phase <code>${failed.name}</code></summary>`,
      '',
      `<pre>${escapeHtml(message)}</pre>`,
      '',
      '</details>'
    )
  }
  lines.push('')
  const text = lines.join('\n')
  return text.length <= SUMMARY_LIMIT ? text : `${text.slice(0, SUMMARY_LIMIT - 100)}\n\n[summary trimmed]\n`
}
