// The fixture warehouse (contract §4), written and read with the sqlite module of the release under
// test: its own better-sqlite3, loaded by the Node on PATH from the installed package, or node:sqlite
// where the release ships none. The action carries no native module of its own.
import { expect, ExpectationError, type Check } from '../engine/checks.js'
import { ktxEnv, type PhaseScope } from '../engine/scope.js'
import type { SmokeContext } from '../engine/context.js'

/** The fixture warehouse: three orders, two of them paid. */
export const WAREHOUSE_SQL = `CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL, amount INTEGER NOT NULL);
INSERT INTO orders (status, amount) VALUES ('paid', 20), ('paid', 30), ('open', 10);`

/**
 * Run by the Node on PATH: `<script> <ktx package.json> <mode> <db file> <sql> <sandbox>`. Loads
 * better-sqlite3 as the installed ktx resolves it inside the sandbox (node:sqlite when it ships
 * none), then `load` opens a database in
 * memory, `write` writes the warehouse, `count` reads count(*) of orders. Prints one JSON line.
 */
const SCRIPT = `
const [pkg, mode, file, sql, root] = process.argv.slice(1)
const { createRequire } = await import('node:module')
const { realpathSync } = await import('node:fs')
const require = createRequire(realpathSync(pkg))
let open, via
try {
  const path = require.resolve('better-sqlite3')
  // Only the release's own: a copy found above the sandbox (in some ancestor's node_modules) is not.
  if (!realpathSync(path).startsWith(realpathSync(root))) throw Object.assign(new Error("Cannot find module 'better-sqlite3'"), { code: 'MODULE_NOT_FOUND' })
  const Database = require(path)
  via = 'better-sqlite3 ' + require('better-sqlite3/package.json').version + ' (' + path + ')'
  open = (f, readonly) => new Database(f, readonly ? { readonly: true, fileMustExist: true } : {})
} catch (error) {
  if (error.code !== 'MODULE_NOT_FOUND' || !String(error.message).includes("'better-sqlite3'")) throw error
  const { DatabaseSync } = await import('node:sqlite')
  via = 'node:sqlite (the release ships no better-sqlite3)'
  open = (f, readonly) => new DatabaseSync(f, readonly ? { readOnly: true } : {})
}
const db = open(mode === 'load' ? ':memory:' : file, mode === 'count')
try {
  if (mode === 'write') db.exec(sql)
  const n = mode === 'load' ? db.prepare('SELECT 1 AS n').get().n : db.prepare('SELECT count(*) AS n FROM orders').get().n
  console.log(JSON.stringify({ via, n }))
} finally {
  db.close()
}
`

type Mode = 'load' | 'write' | 'count'

/** Runs the script in the sandbox with the Node on PATH; returns what it printed. */
async function sqlite(ctx: SmokeContext, s: PhaseScope, mode: Mode, file = ''): Promise<{ via: string; n: number }> {
  const pkg = `${ctx.installed!.packageDir}/package.json`
  const answered: Check = r => {
    if (r.exitCode === 0) return undefined
    const line = r.stderr.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${r.exitCode ?? r.signal}`
    return `the release's sqlite module could not ${mode === 'load' ? 'be loaded' : mode === 'write' ? 'write the warehouse' : 'read the warehouse'} under the Node on PATH: ${line}`
  }
  const r = await s.exec(
    ctx.host!.node,
    ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', SCRIPT, pkg, mode, file, WAREHOUSE_SQL, ctx.sandbox!.root],
    { cwd: ctx.sandbox!.projectDir, env: ktxEnv(ctx), timeoutSec: ctx.inputs.phaseTimeoutSec, display: `node -e <sqlite ${mode}> ${file}`.trim() },
    [answered]
  )
  try {
    return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as { via: string; n: number }
  } catch {
    throw new ExpectationError(`the sqlite script printed ${JSON.stringify(r.stdout.slice(0, 200))} instead of its answer`, r)
  }
}

/** Loads the release's sqlite module; says which it is. */
export async function loadSqlite(ctx: SmokeContext, s: PhaseScope): Promise<string> {
  const { via } = await sqlite(ctx, s, 'load')
  return via
}

/** Writes the warehouse and reads it back; returns `count(*)` of orders. */
export async function writeWarehouse(ctx: SmokeContext, s: PhaseScope, file: string): Promise<number> {
  const { n } = await sqlite(ctx, s, 'write', file)
  expect(n === 3, `the warehouse was written with 3 orders but reads back ${n}`)
  return n
}

/** Reads `count(*)` of orders, read-only: what an executed `orders.order_count` must return. */
export async function countOrders(ctx: SmokeContext, s: PhaseScope, file: string): Promise<number> {
  return (await sqlite(ctx, s, 'count', file)).n
}
