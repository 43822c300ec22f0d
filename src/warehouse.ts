import type BetterSqlite3 from 'better-sqlite3'
import { isNonGlibcLinuxSync } from 'detect-libc'
import { SetupError } from './checks.js'

type DatabaseConstructor = typeof BetterSqlite3

/**
 * One loader per runner platform. Each better-sqlite3 entry point requires its own prebuilt
 * binary, so the bundle carries all of them and loads only the one for this machine.
 */
const PLATFORM_ENTRIES: Record<string, () => Promise<{ default: DatabaseConstructor }>> = {
  'linux-x64': () => import('better-sqlite3/linux-x64'),
  'linux-arm64': () => import('better-sqlite3/linux-arm64'),
  'linuxmusl-x64': () => import('better-sqlite3/linuxmusl-x64'),
  'linuxmusl-arm64': () => import('better-sqlite3/linuxmusl-arm64'),
  'darwin-x64': () => import('better-sqlite3/darwin-x64'),
  'darwin-arm64': () => import('better-sqlite3/darwin-arm64'),
  'win32-x64': () => import('better-sqlite3/win32-x64'),
  'win32-arm64': () => import('better-sqlite3/win32-arm64')
}

export const SQLITE_PLATFORMS = Object.keys(PLATFORM_ENTRIES)

/** better-sqlite3 13 needs Node 22 or newer (on Node 20 its binary crashes the process). */
export const SQLITE_MIN_NODE_MAJOR = 22

export function sqlitePlatform(): string {
  return `${isNonGlibcLinuxSync() ? 'linuxmusl' : process.platform}-${process.arch}`
}

export async function loadSqlite(): Promise<DatabaseConstructor> {
  const major = Number(process.versions.node.split('.')[0])
  if (major < SQLITE_MIN_NODE_MAJOR) {
    throw new SetupError(
      `better-sqlite3 needs Node ${SQLITE_MIN_NODE_MAJOR} or newer to write the sqlite warehouse, but the action runs on Node ${process.version}. On GitHub the action runs on its own Node 24 (runs.using: node24).`
    )
  }
  const platform = sqlitePlatform()
  const load = PLATFORM_ENTRIES[platform]
  if (!load) throw new SetupError(`better-sqlite3 has no prebuilt binary for ${platform}; supported: ${SQLITE_PLATFORMS.join(', ')}.`)
  return (await load()).default
}

/** The fixture warehouse of the contract (§4): three orders, two of them paid. */
export const WAREHOUSE_SQL = `CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT NOT NULL, amount INTEGER NOT NULL);
INSERT INTO orders (status, amount) VALUES ('paid', 20), ('paid', 30), ('open', 10);`

/** Writes the warehouse and reads it back; returns `count(*)` of orders. */
export async function writeWarehouse(file: string): Promise<number> {
  const Database = await loadSqlite()
  const db = new Database(file)
  try {
    db.exec(WAREHOUSE_SQL)
  } finally {
    db.close()
  }
  return countOrders(file)
}

/** Reads `count(*)` of orders, read-only: what an executed `orders.order_count` must return. */
export async function countOrders(file: string): Promise<number> {
  const Database = await loadSqlite()
  const db = new Database(file, { readonly: true, fileMustExist: true })
  try {
    const row = db.prepare('SELECT count(*) AS n FROM orders').get() as { n: number }
    return row.n
  } finally {
    db.close()
  }
}
