import { EventEmitter } from 'eventemitter3'

// `any[]`: listeners take whatever the events carry (accounts, a chain id, an error); the
// provider's interface types them per event.
type AnyListener = (...args: any[]) => void

/**
 * eventemitter3's `EventEmitter` — the whole surface wallets, viem and wagmi connectors call
 * (`on`, `once`, `off`, `addListener`, `removeListener`, `removeAllListeners`, `listeners`,
 * `listenerCount`, `eventNames`), each returning `this` so calls chain — with the guarantee
 * of the DOM's `EventTarget` when an event is emitted: every listener runs, in the order it was
 * added, whatever the others do. A listener that throws stops neither the rest nor the code
 * that emitted (a grant must not fail after its session was kept because an app's
 * `sessionGranted` listener threw); its error goes to `report`, by default rethrown on a fresh
 * stack, where the platform reports uncaught errors.
 *
 * Each listener is registered wrapped in a guard, one guard per function, so removing,
 * listing and counting by the app's own function work as they do on any emitter.
 *
 * @example
 * const events = new SafeEmitter()
 * events.on('accountsChanged', (accounts) => console.log(accounts))
 * events.emit('accountsChanged', ['0xd8dA6BF26964aF9D7eEd9e03E53415D37aA96045'])
 */
export class SafeEmitter extends EventEmitter {
  readonly #report: (error: unknown) => void
  readonly #guards = new WeakMap<AnyListener, AnyListener>()
  readonly #originals = new WeakMap<AnyListener, AnyListener>()

  constructor(report: (error: unknown) => void = reportUncaught) {
    super()
    this.#report = report
  }

  /** The guard of `listener`: made on first use, the same one after, so eventemitter3 finds it again. */
  #guard(listener: AnyListener): AnyListener {
    let guard = this.#guards.get(listener)
    if (guard === undefined) {
      const report = this.#report
      guard = function (this: unknown, ...args: unknown[]) {
        try {
          listener.apply(this, args)
        } catch (error) {
          report(error)
        }
      }
      this.#guards.set(listener, guard)
      this.#originals.set(guard, listener)
    }
    return guard
  }

  override on(event: string | symbol, listener: AnyListener, context?: unknown): this {
    return super.on(event, this.#guard(listener), context)
  }

  override addListener(event: string | symbol, listener: AnyListener, context?: unknown): this {
    return super.addListener(event, this.#guard(listener), context)
  }

  override once(event: string | symbol, listener: AnyListener, context?: unknown): this {
    return super.once(event, this.#guard(listener), context)
  }

  override removeListener(event: string | symbol, listener?: AnyListener, context?: unknown, once?: boolean): this {
    return super.removeListener(event, (listener && this.#guards.get(listener)) ?? listener, context, once)
  }

  override off(event: string | symbol, listener?: AnyListener, context?: unknown, once?: boolean): this {
    return this.removeListener(event, listener, context, once)
  }

  override listeners(event: string | symbol): AnyListener[] {
    return super.listeners(event).map((guard) => this.#originals.get(guard) ?? guard)
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
