/** The code, message and data a request rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<{ code: number; message: string; data?: unknown }> {
  try {
    await promise
  } catch (error) {
    const { code, message, data } = error as { code: number; message: string; data?: unknown }
    return { code, message, data }
  }
  throw new Error('expected a rejection')
}
