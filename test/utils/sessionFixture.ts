import type { Session } from '../../src/sessions/types.js'
import { enforcedBy, enforcedRules } from '../../src/permissions/enforcement.js'

const allWallet = enforcedBy(enforcedRules)

/** Anvil's first two accounts: stable addresses for fixtures. */
export const accounts = [
  '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
  '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
] as const

/**
 * A stored session with every field filled, for store and provider tests; override what a
 * test is about.
 *
 * @example
 * await store.put(sessionFixture({ id: '0x01', expiry: now + 60 }))
 */
export function sessionFixture(overrides: Partial<Session> = {}): Session {
  return {
    id: '0xc0ffee',
    chainId: 1,
    account: accounts[0],
    signer: { type: 'account', address: accounts[1] },
    expiry: 1_800_086_400,
    permissions: [{ type: 'contract-call', target: accounts[1], selectors: ['0x1249c58b'] }],
    policies: [{ type: 'call-limit', count: 10 }],
    usage: { calls: 0, native: 0n, spent: {} },
    status: 'active',
    wallet: 'erc7715',
    enforcedBy: allWallet,
    createdAt: 1_800_000_000,
    ...overrides,
  }
}
