/** The code and message a call throws with; fails the test when it does not throw. */
export function rejection(run: () => unknown): { code: number; message: string } {
  try {
    run()
  } catch (error) {
    return { code: (error as { code: number }).code, message: (error as Error).message }
  }
  throw new Error('expected a rejection, but the call returned')
}

/** The code, message and data a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<{ code: number; message: string; data?: any }> {
  try {
    await promise
  } catch (error) {
    const { code, message, data } = error as { code: number; message: string; data?: unknown }
    return { code, message, data }
  }
  throw new Error('expected a rejection, but the promise resolved')
}
