// One verdict for a matrix: the cells' reports merged. `passed` only when every cell passed and every
// cell smoked the same tarball; a report that is missing or cannot be used, fewer cells than
// expected, or two tarballs is `error` (the caller's to fix: the release was not judged as a whole);
// otherwise a failed cell makes it `failed`, and a cell that errored or was cancelled `error`.
import type { PhaseStatus } from '../engine/context.js'
import { type CellReport, type Problem, SUMMARY_KIND } from './reports.js'

export type MatrixVerdict = 'passed' | 'failed' | 'error'

export interface MatrixSummary {
  result: MatrixVerdict
  cells: CellReport[]
  /** Names of the cells that did not pass. */
  failedCells: string[]
  /** The one tarball integrity every cell smoked; null when none or more than one. */
  integrity: string | null
  /** `@kaelio/ktx 0.12.0`, when every cell that got that far names the same. */
  release: string | null
  /** Every phase any cell ran, in the order the cells ran them. */
  phases: string[]
  problems: Problem[]
}

/** `expected-cells` (`--expected-cells`): empty for none, else a whole number of at least one; a message saying so otherwise. */
export function parseExpectedCells(text: string): number | undefined {
  const value = text.trim()
  if (value === '') return undefined
  if (/^\d+$/.test(value) && Number(value) >= 1) return Number(value)
  throw new Error(
    `"${value}" is not a number of cells: expected a whole number of at least 1 (the matrix's size, e.g. 12), or empty to take the reports found.`
  )
}

/** The phase names of all cells, in order: each cell's new names go after the last one it shares. */
function phaseOrder(cells: CellReport[]): string[] {
  const order: string[] = []
  for (const cell of cells) {
    let at = 0
    for (const { name } of cell.phases) {
      const found = order.indexOf(name)
      if (found >= 0) at = found + 1
      else order.splice(at++, 0, name)
    }
  }
  return order
}

/** The cells' reports and the problems reading them, merged into one verdict. */
export function mergeCells(cells: CellReport[], problems: Problem[], expectedCells?: number): MatrixSummary {
  const all = [...problems]
  if (expectedCells !== undefined && cells.length !== expectedCells) {
    const found = `${cells.length} cell report${cells.length === 1 ? '' : 's'} found, ${expectedCells} expected`
    all.push({
      file: '(expected-cells)',
      message:
        cells.length < expectedCells
          ? `${found}: a job of the matrix uploaded none (it failed or was cancelled before the smoke), or the download missed some`
          : `${found}: the folder holds reports of another run or matrix, or expected-cells is not the matrix's size`
    })
  }
  const integrities = new Map<string, CellReport[]>()
  for (const cell of cells) if (cell.integrity) integrities.set(cell.integrity, [...(integrities.get(cell.integrity) ?? []), cell])
  if (integrities.size > 1) {
    const sides = [...integrities].map(([integrity, of]) => `${integrity} (${of.map(c => `${c.name}: ${c.file}`).join('; ')})`)
    all.push({
      file: [...integrities.values()].flat()[0].file,
      message: `the cells smoked different tarballs: ${sides.join(' vs ')}. Smoke one packed tarball in every cell.`
    })
  }
  const releases = new Set(cells.map(c => c.release).filter(r => r !== null))
  const failedCells = cells.filter(c => c.result !== 'passed').map(c => c.name)
  const result: MatrixVerdict =
    all.length > 0 || cells.length === 0 ? 'error' : cells.some(c => c.result === 'failed') ? 'failed' : failedCells.length > 0 ? 'error' : 'passed'
  return {
    result,
    cells,
    failedCells,
    integrity: integrities.size === 1 ? [...integrities.keys()][0] : null,
    release: releases.size === 1 ? [...releases][0] : null,
    phases: phaseOrder(cells),
    problems: all
  }
}

/** A cell's status in a phase: its own, or skipped when it did not run it. */
export function statusIn(cell: CellReport, phase: string): { status: PhaseStatus; durationMs: number } | undefined {
  return cell.phases.find(p => p.name === phase)
}

/** The merged JSON report: the verdict, the table's content, and each cell's whole report. */
export function mergedReport(summary: MatrixSummary): object {
  return {
    schemaVersion: 1,
    kind: SUMMARY_KIND,
    result: summary.result,
    cells: summary.cells.length,
    failedCells: summary.failedCells,
    tarballIntegrity: summary.integrity,
    release: summary.release,
    problems: summary.problems,
    phases: summary.phases.map(name => ({
      name,
      cells: Object.fromEntries(summary.cells.map(c => [c.name, statusIn(c, name) ?? null]))
    })),
    reports: summary.cells.map(c => ({
      name: c.name,
      file: c.file,
      result: c.result,
      failedPhase: c.failedPhase,
      durationMs: c.durationMs,
      startupMs: c.startupMs,
      tarballIntegrity: c.integrity,
      cell: c.cell,
      report: c.report
    }))
  }
}
