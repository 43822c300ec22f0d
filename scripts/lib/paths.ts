import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const FIXTURE_CLI = path.join(REPO, '__tests__', 'fixtures', 'ktx-cli')
/** Scratch space of the tests and scripts (git-ignored). */
export const CACHE = path.join(REPO, '.test-cache')
export const DIST_MAIN = path.join(REPO, 'dist', 'main', 'index.js')
export const DIST_POST = path.join(REPO, 'dist', 'post', 'index.js')
export const DIST_SUMMARIZE = path.join(REPO, 'dist', 'summarize', 'index.js')
/** The ktx-smoke command, built on demand (npm run build:cli). */
export const BUILD_CLI = path.join(REPO, 'build', 'cli', 'index.js')
