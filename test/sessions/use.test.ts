import { encodeFunctionData, parseAbi, type Address, type Hex } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { describe, expect, test } from 'vitest'
import { InternalError } from '../../src/errors.js'
import { callsStatusOf } from '../../src/execution/callsStatus.js'
import type { Executor } from '../../src/execution/types.js'
import { withSessionKeys } from '../../src/provider.js'
import { scriptedPreparer } from '../utils/scriptedPreparer.js'
import { account, nft, now, scriptedWallet } from '../utils/scriptedWallet.js'
import { rejectionOf } from '../utils/rejection.js'

const mint: Hex = encodeFunctionData({ abi: parseAbi(['function mint(address to)']), functionName: 'mint', args: [account as Address] })

/** A provider whose executor is `executor`, with a session granted for the NFT's mint. */
async function setup(executor: Executor) {
  const inner = scriptedWallet('erc7715', scriptedPreparer().script)
  const provider = withSessionKeys(inner, { now: () => now, executor })
  const key = await provider.sessions.importKey(generatePrivateKey())
  const { permissionsContext: context } = (await provider.request({
    method: 'wallet_grantPermissions',
    params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies: [] }] }],
  })) as { permissionsContext: string }
  const send = () => provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls: [{ to: nft, data: mint }], capabilities: { permissions: { context } } }] })
  return { inner, provider, context, send }
}

describe('runInSession', () => {
  test('behavior: an id the executor reports with sentAs is keyleash\'s to answer from then on, though the send fails after: wallet_getCallsStatus asks the executor, never the wallet', async () => {
    const id = `0x${'ab'.repeat(32)}`
    const executor: Executor = async ({ session, submitting, sentAs }) => {
      submitting()
      sentAs?.(id)
      throw new InternalError('the UserOperation was sent but is not on chain after 1 ms', { context: session.id, id, hint: 'ask wallet_getCallsStatus about it later' })
    }
    executor.getCallsStatus = async ({ id, chainId }) => callsStatusOf(id, chainId, { kind: 'pending' })
    const { inner, provider, context, send } = await setup(executor)
    expect(await rejectionOf(send())).toMatchObject({ code: -32603, data: { id } })
    expect(await provider.request({ method: 'wallet_getCallsStatus', params: [id] })).toMatchObject({ id, status: 100 })
    expect(inner.paramsOf('wallet_getCallsStatus')).toHaveLength(0)
    // Submitted: what it may have used stays used.
    expect((await provider.sessions.get(context))?.usage.calls).toBe(1)
  })

  test('behavior: an executor without getCallsStatus makes no ids of its own: sentAs leaves the id to the wallet', async () => {
    const executor: Executor = async ({ submitting, sentAs }) => {
      submitting()
      sentAs?.('from-the-wallet')
      return { id: 'from-the-wallet' }
    }
    const { inner, provider, send } = await setup(executor)
    await send()
    inner.script({ wallet_getCallsStatus: { id: 'from-the-wallet', status: 200 } })
    expect(await provider.request({ method: 'wallet_getCallsStatus', params: ['from-the-wallet'] })).toMatchObject({ status: 200 })
    expect(inner.paramsOf('wallet_getCallsStatus')).toHaveLength(1)
  })
})
