// `npm run release -- X.Y.Z`: on a clean main whose dist/ matches src/, moves CHANGELOG's
// "Unreleased" section to X.Y.Z, sets the version in package.json and package-lock.json, commits,
// tags vX.Y.Z and moves the major tag vX to it. Pushing, and publishing ktx-smoke (build/cli, a
// package of its own), stay deliberate steps: the commands to run are printed.
//   --dry-run   say what would happen, change nothing
//   --no-build  skip rebuilding dist/ (when it was just checked by CI)
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import semver from 'semver'
import { REPO } from './lib/paths.js'

const args = process.argv.slice(2)
const version = args.find(a => !a.startsWith('--'))
const dryRun = args.includes('--dry-run')
const build = !args.includes('--no-build')
const cwd = process.env.RELEASE_REPO ?? REPO

const git = (...a: string[]): string => execFileSync('git', a, { cwd, encoding: 'utf8' }).trim()
const fail = (message: string): never => {
  console.error(`release: ${message}`)
  process.exit(1)
}

if (!version || semver.valid(version) !== version || semver.prerelease(version)) fail(`give the version to release, like 1.2.0 (got ${version ?? 'nothing'})`)
const v = version as string
const tag = `v${v}`
const major = `v${semver.major(v)}`

if (git('rev-parse', '--abbrev-ref', 'HEAD') !== 'main') fail('release from main')
if (git('status', '--porcelain') !== '') fail('the work tree is not clean')
if (git('tag', '--list', tag) !== '') fail(`${tag} exists already`)
if (build) {
  execFileSync('npm', ['run', 'build'], { cwd, stdio: 'ignore' })
  if (git('status', '--porcelain', '--', 'dist') !== '') fail('dist/ is out of date with src/: run npm run build and commit it')
}

const changelogFile = path.join(cwd, 'CHANGELOG.md')
const changelog = readFileSync(changelogFile, 'utf8')
if (!/^## Unreleased\n/m.test(changelog)) fail('CHANGELOG.md has no "## Unreleased" section to release')
const section = changelog.slice(changelog.indexOf('## Unreleased\n') + '## Unreleased\n'.length).split(/^## /m)[0]
if (section.trim() === '') fail('the "## Unreleased" section of CHANGELOG.md is empty')
const date = new Date().toISOString().slice(0, 10)

if (dryRun) {
  console.log(`would release ${tag} (${date}), move ${major} to it, with:\n${section.trim()}`)
  process.exit(0)
}
writeFileSync(changelogFile, changelog.replace(/^## Unreleased\n/m, `## Unreleased\n\n## ${v} (${date})\n`))
// package.json and package-lock.json, without npm's own commit and tag.
execFileSync('npm', ['version', v, '--no-git-tag-version', '--allow-same-version'], { cwd, stdio: 'ignore' })
git('add', 'CHANGELOG.md', 'package.json', 'package-lock.json')
git('commit', '-m', `Release ${tag}`)
git('tag', '-a', tag, '-m', `ktx-smoke-action ${tag}`)
git('tag', '-f', '-a', major, '-m', `ktx-smoke-action ${major} (${tag})`)
console.log(
  `tagged ${tag} and moved ${major}. Push with:\n  git push origin main ${tag} && git push --force origin ${major}\n` +
    `Publish ktx-smoke ${v}, its own package (@kaelio/ktx-smoke, no dependencies), with:\n  npm run build:cli && npm publish ./build/cli`
)
