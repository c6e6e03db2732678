/**
 * One-at-a-time per name, in this process: each task for a name starts once the previous
 * one for that name has settled. Stores put it in front of their cross-process lock (a lock
 * file, a Redis compare-and-set) so that concurrent updates here queue in memory instead of
 * spinning on that lock.
 *
 * @example
 * const lock = keyedMutex()
 * await lock.run(session.id, () => writeSession(session))
 */
export function keyedMutex(): { run<T>(name: string, task: () => Promise<T>): Promise<T> } {
  const tails = new Map<string, Promise<unknown>>()
  return {
    run(name, task) {
      const previous = tails.get(name) ?? Promise.resolve()
      const result = previous.then(task, task)
      const tail = result.then(ignore, ignore)
      tails.set(name, tail)
      // Forget the name once its queue is empty, so the map does not grow with every id.
      void tail.then(() => {
        if (tails.get(name) === tail) tails.delete(name)
      })
      return result
    },
  }
}

function ignore(): void {}
