import { SafeEmitter, listenerMethods } from '../../src/emitter.js'
import type { ProviderEventName, RequestArguments } from '../../src/types.js'

/**
 * How one method answers. A function is called with the request's params (and the whole
 * request) and may return a value or a promise, or throw / reject to fail; an `Error` is
 * rejected with; anything else is resolved with, the same object every time.
 * To reject with a plain object (`{ code: 4001, message }`), use {@link fail}.
 */
export type ScriptedAnswer =
  | ((params: any, request: RequestArguments) => unknown)
  | Error
  | Failure
  | unknown

/** Method name → answer. */
export type Script = { [method: string]: ScriptedAnswer }

/** An inner EIP-1193 provider for tests: answers from a script and remembers what it was asked. */
export type ScriptedProvider = {
  request(args: RequestArguments): Promise<unknown>
  on(event: string, listener: (...args: any[]) => void): ScriptedProvider
  once(event: string, listener: (...args: any[]) => void): ScriptedProvider
  removeListener(event: string, listener: (...args: any[]) => void): ScriptedProvider
  /** Every request received, in order: the very objects passed to `request`. */
  readonly requests: readonly RequestArguments[]
  /** The params of every request for `method`, in order. */
  paramsOf(method: string): unknown[]
  /** Adds or replaces answers; earlier answers for other methods stay. */
  script(more: Script): void
  /** Emits an event to the listeners attached with `on`, with these exact arguments. */
  emit(event: ProviderEventName | (string & {}), ...args: unknown[]): void
  /** How many listeners are attached for `event` (to check a wrapper attaches once). */
  listenerCount(event: string): number
  /** Forgets the recorded requests. */
  clear(): void
}

const failure = Symbol('fail')
type Failure = { readonly [failure]: unknown }

/**
 * An answer that rejects with exactly `error`, whatever it is (a plain object, a string).
 *
 * @example
 * scriptedProvider({ eth_sendTransaction: fail({ code: 4001, message: 'User rejected the request.' }) })
 */
export function fail(error: unknown): Failure {
  return { [failure]: error }
}

/** The error a real wallet gives for a method it does not serve (EIP-1193 4200). */
export function unsupported(method: string): { code: number; message: string } {
  return { code: 4200, message: `scriptedProvider: no answer scripted for ${method}` }
}

/**
 * A scripted inner EIP-1193 provider. It answers in a microtask (an "instant" wallet),
 * records every request, rejects an unscripted method with 4200, and emits events on demand.
 * Pass `{ events: false }` for a provider without `on`/`removeListener`.
 *
 * @example
 * const inner = scriptedProvider({
 *   eth_chainId: '0x1',
 *   eth_accounts: [address],
 *   eth_sendTransaction: fail({ code: 4001, message: 'User rejected the request.' }),
 *   wallet_grantPermissions: ([request]) => ({ ...request, context: '0xc0ffee' }),
 * })
 * await withSessionKeys(inner).request({ method: 'eth_chainId' }) // '0x1'
 * inner.requests // [{ method: 'eth_chainId' }]
 * inner.emit('chainChanged', '0x2')
 */
export function scriptedProvider(initial?: Script, options?: { events?: true }): ScriptedProvider
export function scriptedProvider(initial: Script, options: { events: false }): Omit<ScriptedProvider, 'on' | 'once' | 'removeListener'>
export function scriptedProvider(
  initial: Script = {},
  options: { events?: boolean } = {},
): ScriptedProvider | Omit<ScriptedProvider, 'on' | 'once' | 'removeListener'> {
  const answers = new Map<string, ScriptedAnswer>(Object.entries(initial))
  const requests: RequestArguments[] = []
  const emitter = new SafeEmitter()

  const provider: ScriptedProvider = {
    async request(args) {
      requests.push(args)
      if (!answers.has(args.method)) throw unsupported(args.method)
      const answer = answers.get(args.method)
      if (typeof answer === 'function') return answer(args.params, args)
      if (answer instanceof Error) throw answer
      if (isFailure(answer)) throw answer[failure]
      return answer
    },
    ...listenerMethods(emitter, () => provider),
    get requests() {
      return requests
    },
    paramsOf(method) {
      return requests.filter((request) => request.method === method).map((request) => request.params)
    },
    script(more) {
      for (const [method, answer] of Object.entries(more)) answers.set(method, answer)
    },
    emit(event, ...args) {
      emitter.emit(event, ...args)
    },
    listenerCount(event) {
      return emitter.listenerCount(event)
    },
    clear() {
      requests.length = 0
    },
  }
  if (options.events !== false) return provider
  // Every member works through the closure, so dropping the listener methods keeps the rest working.
  const { on: _on, once: _once, removeListener: _removeListener, ...withoutEvents } = provider
  return withoutEvents
}

function isFailure(answer: unknown): answer is Failure {
  return typeof answer === 'object' && answer !== null && failure in answer
}
