/**
 * The calls ids keyleash's executor answered, with the chain each went to: `wallet_getCallsStatus`
 * answers these from the executor and sends every other id to the wallet. In memory and bounded
 * (the oldest is forgotten first): a provider that lives for days does not grow, and an id it
 * forgot (or made before a reload) is asked of the wallet, as any id keyleash did not make.
 */
export type CallsIds = {
  /** Remembers that the executor answered `id` for calls to `chainId`. */
  add(id: string, chainId: number): void
  /** The chain of calls `id`, if keyleash's executor answered it. */
  chainOf(id: string): number | undefined
}

/**
 * @example
 * const ids = callsIds()
 * ids.add('0xabc…', 1)
 * ids.chainOf('0xabc…') // 1
 */
export function callsIds(limit = 10_000): CallsIds {
  const chains = new Map<string, number>()
  return {
    add(id, chainId) {
      chains.delete(id)
      chains.set(id, chainId)
      if (chains.size > limit) chains.delete(chains.keys().next().value as string)
    },
    chainOf: (id) => chains.get(id),
  }
}
