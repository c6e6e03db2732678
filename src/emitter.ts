/**
 * A listener of any event, typed where it is added (the provider's `on`): pass-through events
 * carry whatever the inner provider sends.
 */
export type Listener = (...args: never[]) => void

/** What {@link createEmitter} returns: what an EIP-1193 provider's events need, and a count. */
export type Emitter = {
  on(event: string, listener: Listener): void
  /** Calls `listener` on the next `event` only; `off` with the same function removes it before then. */
  once(event: string, listener: Listener): void
  /** Removes every registration of `listener` for `event`. */
  off(event: string, listener: Listener): void
  emit(event: string, ...args: unknown[]): void
  listenerCount(event: string): number
}

type Registration = { listener: Listener; once: boolean }

/**
 * A small event emitter with the semantics of the DOM's `EventTarget`: listeners run in the
 * order they were added, each one whatever the others do. A listener that throws does not
 * stop the rest, nor the code that emitted (a grant must not fail after the session was
 * kept because an app's `sessionGranted` listener threw); its error goes to `report`, by
 * default rethrown on a fresh stack, where the platform reports uncaught errors.
 *
 * Lists are replaced, never changed, so an emit runs over the listeners there were when it
 * started, and a listener added or removed meanwhile counts from the next event on.
 *
 * @example
 * const events = createEmitter()
 * events.on('accountsChanged', (accounts) => console.log(accounts))
 * events.emit('accountsChanged', ['0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045'])
 */
export function createEmitter(report: (error: unknown) => void = reportUncaught): Emitter {
  const lists = new Map<string, readonly Registration[]>()
  const add = (event: string, listener: Listener, once: boolean) => {
    lists.set(event, [...(lists.get(event) ?? []), { listener, once }])
  }
  return {
    on: (event, listener) => add(event, listener, false),
    once: (event, listener) => add(event, listener, true),
    off(event, listener) {
      const list = lists.get(event)
      if (list) lists.set(event, list.filter((registration) => registration.listener !== listener))
    },
    emit(event, ...args) {
      const list = lists.get(event)
      if (!list) return
      if (list.some((registration) => registration.once)) lists.set(event, list.filter((registration) => !registration.once))
      for (const { listener } of list) {
        try {
          ;(listener as (...args: unknown[]) => void)(...args)
        } catch (error) {
          report(error)
        }
      }
    },
    listenerCount: (event) => lists.get(event)?.length ?? 0,
  }
}

function reportUncaught(error: unknown): void {
  queueMicrotask(() => {
    throw error
  })
}

/**
 * EIP-1193's `on`, `once` and `removeListener` over an emitter, each returning `self` so that
 * calls chain, as Node's EventEmitter and the wallets built on it do.
 *
 * @example
 * const emitter = createEmitter()
 * const provider = { request, ...listenerMethods(emitter, () => provider) }
 */
export function listenerMethods<Self>(emitter: Emitter, self: () => Self) {
  return {
    on(event: string, listener: Listener): Self {
      emitter.on(event, listener)
      return self()
    },
    once(event: string, listener: Listener): Self {
      emitter.once(event, listener)
      return self()
    },
    removeListener(event: string, listener: Listener): Self {
      emitter.off(event, listener)
      return self()
    },
  }
}
