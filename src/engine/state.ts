/** What main remembers for the post step (GITHUB_STATE). */
export const STATE = {
  runId: 'run-id',
  keepSandbox: 'keep-sandbox',
  sandbox: 'sandbox',
  daemonPid: 'daemon-pid',
  secondDaemonPid: 'daemon-pid-2',
  /** Linux: the boot tick when the run began (escapees that dropped the marker are found by it). */
  since: 'since',
  /** Linux: the limits every process of the run inherits (host/run-tag.ts), as `<locks>:<rss>`. */
  tag: 'tag',
  /** Set by main when the post step should save the download caches: JSON { key, paths }. */
  cacheSave: 'cache-save'
} as const
