/** Polls `condition` until it holds, failing after `timeoutMs`. */
export const waitUntil = async (
  condition: () => boolean | Promise<boolean>,
  { timeoutMs = 5_000, everyMs = 10, what = 'the condition' } = {},
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
};
