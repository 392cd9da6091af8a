/**
 * Returns whether a test may use a tool. In CI (env CI set) a missing tool fails the test with a message
 * naming it. Elsewhere the caller skips, and a warning names the tool.
 */
export function requireTool(available: boolean, tool: string): boolean {
  if (available) return true;
  if (process.env.CI) throw new Error(`${tool} is required in CI but was not found`);
  console.warn(`skipping: ${tool} not found (install it to run these checks)`);
  return false;
}
