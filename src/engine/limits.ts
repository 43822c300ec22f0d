/** Every size limit of the action, in characters, in one place. */
export const LIMITS = {
  /** Head and tail kept of one command's stdout or stderr. */
  capture: 4 * 1024 * 1024,
  /** Output of one command echoed into the log; the rest is captured, not shown. */
  logEcho: 256 * 1024,
  /** Output of one command kept in the JSON and JUnit reports. */
  record: 64 * 1024,
  /** One step output (the runner allows 1 MiB for all of a job's outputs). */
  output: 64 * 1024,
  /** The job summary (the runner accepts 1 MiB per step). */
  summary: 512 * 1024,
  /** The failing phase's message in the summary. */
  failureInSummary: 64 * 1024,
  /** One line of quoted CLI output; longer lines keep their head and tail. */
  line: 2000,
  /** Files listed per phase when ktx writes under the sandbox HOME. */
  homeFiles: 50
} as const
