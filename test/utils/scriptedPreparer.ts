import { keccak256, recoverAddress, stringToHex, type Address, type Hex } from 'viem'
import type { Script } from './scriptedProvider.js'

/**
 * ERC-7836 answers for a scripted wallet: `wallet_prepareCalls` gives a digest of the calls,
 * `wallet_sendPreparedCalls` recovers who signed it and records the batch; `wallet_getCallsStatus`
 * reports it as mined. `sent` lists every batch with the address that signed it.
 */
export function scriptedPreparer() {
  const sent: { signer: Address; calls: unknown }[] = []
  const script: Script = {
    wallet_prepareCalls: ([request]: [{ calls: unknown; chainId: Hex; key: unknown }]) => ({
      chainId: request.chainId,
      context: { calls: request.calls },
      digest: keccak256(stringToHex(JSON.stringify(request.calls))),
      key: request.key,
      capabilities: {},
    }),
    wallet_sendPreparedCalls: async ([request]: [{ context: { calls: unknown }; signature: Hex }]) => {
      const signer = await recoverAddress({ hash: keccak256(stringToHex(JSON.stringify(request.context.calls))), signature: request.signature })
      sent.push({ signer, calls: request.context.calls })
      return { id: `0x${sent.length.toString(16).padStart(64, '0')}` }
    },
    wallet_getCallsStatus: ([id]: [Hex]) => ({ version: '2.0.0', id, chainId: '0x7a69', status: 200, atomic: true, receipts: [{ transactionHash: keccak256(id) }] }),
  }
  return { script, sent }
}
