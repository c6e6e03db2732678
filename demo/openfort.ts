/**
 * The seed's story on Openfort's own provider: the real `EvmProvider` of `@openfort/openfort-js`
 * over a development backend on a local chain, with keyleash on top, driven through viem. Two
 * grants (the owner signs each), five mints signed by the session key through transaction
 * intents (no owner signature), calls outside the grant refused by keyleash (and what Openfort
 * itself would do with them), and a revoke that reaches Openfort by the key's address.
 */
import { type Address, type Hex, createPublicClient, createWalletClient, custom, encodeFunctionData, erc20Abi, http } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { erc7715Actions } from 'viem/experimental'
import { demoNftAbi, startDevChain } from '../src/devwallet/index.js'
import { openfortSmartAccountAbi } from '../src/devwallet/artifacts.js'
import { withSessionKeys } from '../src/index.js'
import { openfortExecutor, openfortWallet } from '../src/wallets.js'
import { type DevOpenfort, createDevOpenfort } from '../src/devwallet/openfort/sdk.js'
import { check, rpcErrorOf, short } from './report.js'

/**
 * Runs the story; every check prints ✓ or ✗.
 *
 * @example
 * await openfortStory()
 */
export async function openfortStory(): Promise<void> {
  console.log("1. Start a local chain, Openfort's development backend, and Openfort's own provider (@openfort/openfort-js) for a new user")
  const chain = await startDevChain()
  try {
    const user = await createDevOpenfort({
      rpcUrl: chain.rpcUrl,
      approve: ({ summary }) => {
        console.log(`   [owner] ${summary}`)
        return true
      },
    })
    const { nft, token } = user.contracts
    const account = user.account
    console.log(`   backend ${user.backend.url}, account ${short(account)} (${user.openfortAccount.accountType}), NFT ${short(nft)}`)

    const { accountType } = user.openfortAccount
    const provider = withSessionKeys(user.provider, {
      wallet: openfortWallet({ accountType }),
      executor: openfortExecutor({ backend: { url: user.backend.url, headers: { authorization: `Bearer ${user.backend.secretKey}` } }, account: user.openfortAccount.id, accountType }),
    })
    const client = createWalletClient({ account, chain: foundry, transport: custom(provider) }).extend(erc7715Actions())
    const chainClient = createPublicClient({ transport: http(chain.rpcUrl) })
    const mint: Hex = encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [account] })
    const nfts = () => chainClient.readContract({ address: nft, abi: demoNftAbi, functionName: 'balanceOf', args: [account] })
    // The key as Openfort's Smart Account holds it: its window, the calls it has left, whether a master key.
    const onChain = async (key: Address) => {
      const [, validUntil, limit, master, whitelisting] = await chainClient.readContract({ address: account, abi: openfortSmartAccountAbi, functionName: 'sessionKeys', args: [key] })
      return { active: validUntil !== 0, limit, master, whitelisting }
    }
    const inScope = { permissions: { context: '' } }

    console.log("\n2. Grant a session key: the NFT's mint(address), for one day (the seed's request)")
    const privateKey = generatePrivateKey()
    const sessionKey = await provider.sessions.importKey(privateKey)
    let started = performance.now()
    const grant = await client.grantPermissions({
      signer: { type: 'account', data: { id: privateKeyToAccount(privateKey).address } },
      expiry: 60 * 60 * 24,
      permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies: [] }],
    })
    const grantMs = performance.now() - started
    const context = (inScope.permissions.context = grant.permissionsContext)
    const session = await provider.sessions.get(context)
    const registered = await onChain(sessionKey)
    console.log(`   session ${context}, key ${short(sessionKey)}, valid until ${new Date(grant.expiry * 1000).toISOString()} (${grantMs.toFixed(0)} ms)`)
    console.log(`   who enforces what: ${Object.entries(session?.enforcedBy ?? {}).map(([rule, by]) => `${rule} ${by}`).join(', ')}`)
    check(registered.active && registered.whitelisting && !registered.master, `registered on-chain for key ${short(sessionKey)}, every function of the NFT (Openfort whitelists targets)`)
    check(session?.enforcedBy.selector === 'keyleash', 'the session records "mint only" as enforced by keyleash alone')
    check(user.prompts === 1, `owner signatures so far: ${user.prompts}`)

    console.log('\n   A second grant: mint(address) with a call limit of 3, and a key keyleash makes')
    const limited = await client.grantPermissions({
      expiry: 60 * 60 * 24,
      permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies: [{ type: { custom: 'call-limit' }, data: { count: 3 } }] }],
    })
    const limitedKey = (await provider.sessions.get(limited.permissionsContext))?.keyAddress as Address
    check((await onChain(limitedKey)).limit === 3, `Openfort holds key ${short(limitedKey)} to 3 calls on-chain`)
    check(user.prompts === 2, `owner signatures so far: ${user.prompts}`)

    console.log('\n3. Mint 5 NFTs with the session key, through transaction intents')
    const mintMs: number[] = []
    for (let i = 1; i <= 5; i++) {
      started = performance.now()
      const { id } = await client.sendCalls({ calls: [{ to: nft, data: mint }], capabilities: inScope })
      const status = await client.waitForCallsStatus({ id, pollingInterval: 20 })
      mintMs.push(performance.now() - started)
      console.log(`   mint ${i}: intent ${id}, ${status.status}, tx ${short(status.receipts?.[0]?.transactionHash ?? '0x')} (${mintMs.at(-1)?.toFixed(0)} ms)`)
    }
    check((await nfts()) === 5n, `NFTs held by the account: ${await nfts()}`)
    check(user.prompts === 2, `owner signatures so far: ${user.prompts} (none for the mints)`)

    console.log('\n4. Calls outside the grant')
    const transfer = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [user.owner, 1n] })
    const approveAll = encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [user.owner, true] })
    for (const [what, to, data, openfortAllows] of [
      ['move the demo token', token, transfer, false],
      ["another function of the NFT (setApprovalForAll)", nft, approveAll, true],
    ] as const) {
      console.log(`   ${what}:`)
      const why = await provider.sessions.check(context, [{ to, data }])
      const reason = why.allowed ? undefined : why.reasons[0]
      const refused = await client.sendCalls({ calls: [{ to, data }], capabilities: inScope }).then(() => undefined, rpcErrorOf)
      check(refused?.code === 4100, `refused by keyleash before anything was signed: ${reason?.reason}: ${reason?.message}`)
      // The same key, straight to Openfort's API, as a leaked key would be used.
      const direct = await signedAtOpenfort(user, privateKey, to, data)
      console.log(`     the same key straight to Openfort: ${direct}`)
      check(openfortAllows ? direct.startsWith('executed') : direct.startsWith('refused'),
        openfortAllows ? 'Openfort itself allows it: it whitelists the NFT, not its functions (selector: keyleash alone)' : 'Openfort refuses it too: the token is not on its whitelist (target: wallet)')
    }
    check(user.prompts === 2, `owner signatures so far: ${user.prompts}`)

    console.log('\n5. Revoke the session')
    const requests = user.backend.requests.length
    await provider.request({ method: 'wallet_revokePermissions', params: [{ permissionContext: context }] })
    const sent = user.backend.requests.slice(requests).find((r) => r.path === '/v1/sessions/revoke')?.body as { address?: string } | undefined
    check(sent?.address === sessionKey, `Openfort was asked to revoke key ${short(String(sent?.address))} (by its address, as its SDK sends it)`)
    check(!(await onChain(sessionKey)).active, 'revoked on-chain')
    const after = await client.sendCalls({ calls: [{ to: nft, data: mint }], capabilities: inScope }).then(() => undefined, rpcErrorOf)
    check(after?.code === 4100, `the next mint is refused: ${after?.details ?? 'not refused'}`)
    check((await nfts()) === 5n, `NFTs held by the account: ${await nfts()}`)
    console.log(`   owner signatures in all: ${user.prompts} (two grants and the revoke)`)
    console.log(`   timings: grant ${grantMs.toFixed(0)} ms, session-signed mint ${(mintMs.reduce((a, b) => a + b, 0) / mintMs.length).toFixed(0)} ms on average`)
    await user.close()
  } finally {
    console.log('\n6. Stop the chain')
    await chain.stop()
  }
}

/** What Openfort does with a call when the session key signs its transaction intent directly. */
async function signedAtOpenfort(user: DevOpenfort, privateKey: Hex, to: Address, data: Hex): Promise<string> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${user.backend.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${user.backend.secretKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { ok: response.ok, answer: (await response.json()) as { id: string; nextAction?: { payload: { signableHash: Hex } }; error?: { message: string } } }
  }
  const intent = await post('/v1/transaction_intents', { account: user.openfortAccount.id, chainId: foundry.id, interactions: [{ to, data }] })
  const signature = await privateKeyToAccount(privateKey).signMessage({ message: { raw: intent.answer.nextAction?.payload.signableHash as Hex } })
  const signed = await post(`/v1/transaction_intents/${intent.answer.id}/signature`, { signature })
  return signed.ok ? `executed (intent ${intent.answer.id})` : `refused, ${signed.answer.error?.message}`
}
