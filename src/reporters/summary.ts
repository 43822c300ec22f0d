import type { SmokeResult } from '../smoke.js'
import { formatDuration, STATUS_MARK } from './format.js'

/** The runner accepts at most 1 MiB per step summary; stay well below. */
export const SUMMARY_LIMIT = 512 * 1024
const FAILURE_OUTPUT_LIMIT = 64 * 1024

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function cell(text: string): string {
  return escapeHtml(text).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
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
  const verdict = result.result === 'passed' ? '✅ passed' : `❌ failed in \`${result.failedPhase}\``
  const lines = [`## ktx smoke: ${verdict}`, '']
  const about = [`**${cell(what)}**`]
  if (f.generation) about.push(`CLI generation: ${cell(f.generation.label)}`)
  about.push(`runtime status: ${f.statusBefore ?? 'not reached'} → ${f.statusAfter ?? 'not reached'}`)
  about.push(`cache: ${cacheWords(result)}`)
  about.push(`total ${formatDuration(result.durationMs)}`)
  lines.push(about.join(' · '), '')
  lines.push('| Phase | Status | Duration |', '|---|---|---|')
  for (const p of result.phases) {
    lines.push(`| \`${p.name}\` ${cell(p.title)} | ${STATUS_MARK[p.status]} ${p.status} | ${p.status === 'skipped' ? '' : formatDuration(p.durationMs)} |`)
  }
  const failed = result.phases.find(p => p.status === 'failed')
  if (failed?.message) {
    let message = failed.message
    if (message.length > FAILURE_OUTPUT_LIMIT) message = `${message.slice(0, FAILURE_OUTPUT_LIMIT)}\n[… trimmed …]`
    lines.push(
      '',
      `<details><summary>Output of the failing phase <code>${failed.name}</code></summary>`,
      '',
      `<pre>${escapeHtml(message)}</pre>`,
      '',
      '</details>'
    )
  }
  lines.push('')
  const text = lines.join('\n')
  return text.length <= SUMMARY_LIMIT ? text : `${text.slice(0, SUMMARY_LIMIT)}\n\n[summary trimmed]\n`
}
