import type { Address } from 'viem'
import type { ResolvedGrantRequest } from '../../../src/permissions/dialects/types.js'

export const now = 1_800_000_000
export const rules = { now, mode: 'auto', maxExpiry: 30 * 86_400 } as const
export const account: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
export const sessionKey: Address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'
export const nft: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
export const token: Address = '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512'

/** The seed's grant once checked: the NFT's mint for a day, signed by an app-made key. */
export const seedRequest: ResolvedGrantRequest = {
  chainId: 31337,
  account,
  signer: { type: 'account', address: sessionKey },
  expiry: now + 86_400,
  permissions: [{ type: 'contract-call', target: nft, selectors: ['0x6a627842'] }],
  policies: [],
}

/** The seed's grant as a 2025 list entry: what an app sends in that shape and a 2025 wallet receives. */
export const seedWire2025 = {
  chainId: '0x7a69',
  address: account,
  expiry: now + 86_400,
  signer: { type: 'account', data: { address: sessionKey } },
  permissions: [{ type: 'contract-call', data: { address: nft, calls: ['0x6a627842'] } }],
}

/** The seed's grant as an execution-permissions request (2026): what an app sends in that shape and such a wallet receives. */
export const seedWireExecution = {
  chainId: '0x7a69',
  from: account,
  to: sessionKey,
  permission: { type: 'contract-call', isAdjustmentAllowed: true, data: { address: nft, calls: ['0x6a627842'] } },
  rules: [{ type: 'expiry', data: { timestamp: now + 86_400 } }],
}
