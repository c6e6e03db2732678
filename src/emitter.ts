// `any[]`: listeners take whatever the events carry (accounts, a chain id, an error); the
// provider's interface types them per event.
type AnyListener = (...args: any[]) => void

/** One `on` or `once`: `context` is what the listener is called on (the emitter unless given). */
type Registration = { listener: AnyListener; context: unknown; once: boolean }

/**
 * An event emitter with eventemitter3's surface — the whole of what wallets, viem and wagmi
 * connectors call (`on`, `once`, `off`, `addListener`, `removeListener`, `removeAllListeners`,
 * `listeners`, `listenerCount`, `eventNames`, with eventemitter3's optional `context`), each
 * returning `this` so calls chain — and the guarantee of the DOM's `EventTarget` when an event
 * is emitted: every listener there was when the emit started runs, in the order it was added,
 * whatever the others do. A listener that throws stops neither the rest nor the code that
 * emitted (a grant must not fail after its session was kept because an app's `sessionGranted`
 * listener threw); its error goes to `report`, by default rethrown on a fresh stack, where the
 * platform reports uncaught errors.
 *
 * Its own, not eventemitter3 itself: that package is CommonJS, and an app's bundler paid about
 * 1.1 kB min+gzip for it and its interop, three times what this costs.
 *
 * @example
 * const events = new SafeEmitter()
 * events.on('accountsChanged', (accounts) => console.log(accounts))
 * events.emit('accountsChanged', ['0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045'])
 */
export class SafeEmitter {
  readonly #report: (error: unknown) => void
  // Lists are replaced, never changed in place: an emit walks the list there was when it started.
  readonly #events = new Map<string | symbol, readonly Registration[]>()

  constructor(report: (error: unknown) => void = reportUncaught) {
    this.#report = report
  }

  #add(event: string | symbol, listener: AnyListener, context: unknown, once: boolean): this {
    this.#events.set(event, [...(this.#events.get(event) ?? []), { listener, context: context || this, once }])
    return this
  }

  on(event: string | symbol, listener: AnyListener, context?: unknown): this {
    return this.#add(event, listener, context, false)
  }

  addListener(event: string | symbol, listener: AnyListener, context?: unknown): this {
    return this.#add(event, listener, context, false)
  }

  once(event: string | symbol, listener: AnyListener, context?: unknown): this {
    return this.#add(event, listener, context, true)
  }

  /** Removes every registration of `listener` for `event` (only `once` ones with `once`, only those on `context` with one); all of them without `listener`. */
  removeListener(event: string | symbol, listener?: AnyListener, context?: unknown, once?: boolean): this {
    const kept = listener ? (this.#events.get(event) ?? []).filter((entry) => entry.listener !== listener || (once && !entry.once) || (context && entry.context !== context)) : []
    if (kept.length === 0) this.#events.delete(event)
    else this.#events.set(event, kept)
    return this
  }

  off(event: string | symbol, listener?: AnyListener, context?: unknown, once?: boolean): this {
    return this.removeListener(event, listener, context, once)
  }

  removeAllListeners(event?: string | symbol): this {
    if (event === undefined) this.#events.clear()
    else this.#events.delete(event)
    return this
  }

  /** Calls the listeners of `event` with `args`; whether it had any. */
  emit(event: string | symbol, ...args: unknown[]): boolean {
    const registrations = this.#events.get(event)
    if (registrations === undefined) return false
    for (const { listener, context, once } of registrations) {
      if (once) this.removeListener(event, listener, undefined, true)
      try {
        listener.apply(context, args)
      } catch (error) {
        this.#report(error)
      }
    }
    return true
  }

  listeners(event: string | symbol): AnyListener[] {
    return (this.#events.get(event) ?? []).map((entry) => entry.listener)
  }

  listenerCount(event: string | symbol): number {
    return this.#events.get(event)?.length ?? 0
  }

  eventNames(): (string | symbol)[] {
    return [...this.#events.keys()]
  }
}

function reportUncaught(error: unknown): void {
  queueMicrotask(() => {
    throw error
  })
}

/**
 * EIP-1193's `on`, `once` and `removeListener` over an emitter, each returning `self` so that
 * calls chain: for providers that are not emitters themselves (the dev wallet's, the tests').
 *
 * @example
 * const emitter = new SafeEmitter()
 * const provider = { request, ...listenerMethods(emitter, () => provider) }
 */
export function listenerMethods<Self>(emitter: SafeEmitter, self: () => Self) {
  return {
    // `any[]`: listeners take whatever the events carry (accounts, a chain id, an error).
    on(event: string, listener: (...args: any[]) => void): Self {
      emitter.on(event, listener)
      return self()
    },
    once(event: string, listener: (...args: any[]) => void): Self {
      emitter.once(event, listener)
      return self()
    },
    removeListener(event: string, listener: (...args: any[]) => void): Self {
      emitter.removeListener(event, listener)
      return self()
    },
  }
}
