/** The code and message a call throws with; fails the test when it does not throw. */
export function rejection(run: () => unknown): { code: number; message: string } {
  try {
    run()
  } catch (error) {
    return { code: (error as { code: number }).code, message: (error as Error).message }
  }
  throw new Error('expected a rejection, but the call returned')
}
