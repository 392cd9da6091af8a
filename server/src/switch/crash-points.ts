/**
 * Named points in finishing a switch where the crash tests kill the server with SIGKILL, to prove
 * that every point leaves either the old or the new state and that the next start finishes the
 * switch. Active only when REDAPP_TEST_CRASH_POINT names the point; production never sets it.
 */
export type CrashPoint =
  | 'before-target-test'
  | 'after-target-test'
  | 'before-rewrap'
  | 'after-rewrap'
  | 'before-new-version'
  | 'inside-commit'
  | 'after-commit';

export function crashPoint(point: CrashPoint): void {
  if (process.env.REDAPP_TEST_CRASH_POINT === point) process.kill(process.pid, 'SIGKILL');
}
