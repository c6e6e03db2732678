/**
 * The thirdweb story (`npm run demo -- --wallet=thirdweb`): a thirdweb smart account (compiled from
 * `@thirdweb-dev/contracts`) owned by an EOA wallet that speaks no ERC-7715, wrapped with keyleash;
 * the real EntryPoint v0.6 and alto on 127.0.0.1. One owner prompt grants a session key (keyleash
 * turns the grant into the account's own setPermissionsForSigner, sent by a relayer); five mints
 * through alto take none; beside keyleash's decisions stand the EntryPoint's, for the same key
 * sent straight to the bundler with no keyleash in between: another contract is refused by both,
 * another function of the NFT is refused by keyleash but executed by the account (thirdweb checks
 * targets, not functions); the revoke ends the key on chain.
 *
 * No network: the chain is anvil on 127.0.0.1. Its checks report through `demo/report.ts`.
 */
import { type Address, type Hex, createPublicClient, createTestClient, createWalletClient, custom, encodeFunctionData, erc721Abi, http, parseAbi, parseEther } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { erc7715Actions } from 'viem/experimental'
import { createDevThirdweb, startBundler, startDevChain, thirdwebAccountAbi } from '../src/devwallet/index.js'
import { memoryStore, withSessionKeys } from '../src/index.js'
import { erc4337Executor, thirdweb, thirdwebAccount } from '../src/wallets.js'
import { check, short } from './report.js'

const mintAbi = parseAbi(['function mint(address to)', 'function mint(address to, uint256 amount)'])

/**
 * Runs the story and prints it.
 *
 * @example
 * await thirdwebStory()
 */
export async function thirdwebStory(): Promise<void> {
  console.log('1. Start a local chain, the EntryPoints, alto (on 127.0.0.1) and a thirdweb account owned by an EOA wallet')
  const chain = await startDevChain()
  const bundler = await startBundler({ rpcUrl: chain.rpcUrl }).catch(async (error: unknown) => {
    await chain.stop()
    throw error
  })
  try {
    const owner = await createDevThirdweb({
      rpcUrl: chain.rpcUrl,
      approve: ({ summary }) => {
        console.log(`   [owner's wallet] confirm? ${summary} → approved`)
        return true
      },
    })
    const { nft, token } = owner.contracts
    const reader = createPublicClient({ chain: foundry, transport: http(chain.rpcUrl), pollingInterval: 20 })
    const relayer = privateKeyToAccount(generatePrivateKey())
    await createTestClient({ mode: 'anvil', chain: foundry, transport: http(chain.rpcUrl) }).setBalance({ address: relayer.address, value: parseEther('1') })
    console.log(`   account ${short(owner.account)} (thirdweb's Account, EntryPoint v0.6), owner ${short(owner.owner)}, alto at ${bundler.url}, relayer ${short(relayer.address)}`)

    const executor = erc4337Executor({ account: thirdwebAccount(), bundler: bundler.url, transport: http(chain.rpcUrl) })
    const store = memoryStore()
    const provider = withSessionKeys(owner.provider, { store, account: owner.account, wallet: thirdweb({ relayer, transport: http(chain.rpcUrl) }), executor })
    const client = createWalletClient({ account: owner.account, chain: foundry, transport: custom(provider) }).extend(erc7715Actions())
    const held = (key: Address) => reader.readContract({ address: owner.account, abi: thirdwebAccountAbi, functionName: 'getPermissionsForSigner', args: [key] })
    const nfts = () => reader.readContract({ address: nft, abi: erc721Abi, functionName: 'balanceOf', args: [owner.account] })

    console.log("\n2. Grant a session key mint(address) on the NFT, through viem's grantPermissions")
    const privateKey = generatePrivateKey()
    const sessionKey = await provider.sessions.importKey(privateKey)
    const { permissionsContext: context } = await client.grantPermissions({
      signer: { type: 'account', data: { id: sessionKey } },
      expiry: 60 * 60,
      permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies: [] }],
    })
    const onChain = await held(sessionKey)
    console.log(`   the account holds for ${short(sessionKey)}: targets [${onChain.approvedTargets.map(short).join(', ')}], ${onChain.nativeTokenLimitPerTransaction} wei per call, until ${new Date(Number(onChain.endTimestamp) * 1000).toISOString()}`)
    const session = await store.get(context)
    console.log(`   enforced by: ${Object.entries(session?.enforcedBy ?? {}).map(([rule, by]) => `${rule} ${by}`).join(', ')}`)
    check(owner.prompts === 1, `owner prompts so far: ${owner.prompts} (one signature; the relayer sent setPermissionsForSigner)`)

    const send = (calls: { to: Address; data: Hex }[]) =>
      provider.request({ method: 'wallet_sendCalls', params: [{ version: '2.0.0', chainId: '0x7a69', atomicRequired: true, calls, capabilities: { permissions: { context } } }] }) as Promise<{ id: Hex }>
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: { code: number; message: string; data?: { reasons?: ({ reason: string } | null)[]; aaCode?: string } }) => error,
      )
    // The session key, straight to alto: a UserOperation it signs, with no keyleash check in between.
    const straight = (calls: { to: Address; data: Hex }[]) =>
      executor({ inner: owner.provider, session: session!, chainId: foundry.id, calls: calls.map((call) => ({ ...call, value: 0n })), signer: privateKeyToAccount(privateKey), submitting() {} })

    console.log('\n3. Mint five NFTs with the session key: five UserOperations through alto, no prompt')
    const before = await nfts()
    const mint = { to: nft, data: encodeFunctionData({ abi: mintAbi, functionName: 'mint', args: [owner.account] }) }
    for (let i = 0; i < 5; i++) {
      const { id } = await send([mint])
      console.log(`   UserOperation ${short(id)}: ${(await client.waitForCallsStatus({ id, pollingInterval: 20 })).status}`)
    }
    check((await nfts()) === before + 5n, `NFTs held by the account: ${await nfts()}`)
    check(owner.prompts === 1, `owner prompts so far: ${owner.prompts} (none for the mints)`)

    console.log('\n4. A call to another contract (the token\'s mint)')
    const other = { to: token, data: encodeFunctionData({ abi: mintAbi, functionName: 'mint', args: [owner.account, 1n] }) }
    const byKeyleash = await refusal(send([other]))
    check(byKeyleash?.code === 4100 && byKeyleash.data?.reasons?.[0]?.reason === 'target-not-allowed', `refused by keyleash: ${byKeyleash?.data?.reasons?.[0]?.reason}`)
    const byEntryPoint = await refusal(straight([other]))
    check(byEntryPoint?.data?.aaCode === 'AA24', `the key straight to the bundler: refused by the EntryPoint (${byEntryPoint?.data?.aaCode}: the account's isValidSigner said no)`)

    console.log('\n5. Another function of the NFT (setApprovalForAll), which the grant did not name')
    const operator: Address = '0x00000000000000000000000000000000000a11ce'
    const approveAll = { to: nft, data: encodeFunctionData({ abi: erc721Abi, functionName: 'setApprovalForAll', args: [operator, true] }) }
    const refused = await refusal(send([approveAll]))
    check(refused?.code === 4100 && refused.data?.reasons?.[0]?.reason === 'selector-not-allowed', `refused by keyleash: ${refused?.data?.reasons?.[0]?.reason}`)
    await straight([approveAll])
    const approved = await reader.readContract({ address: nft, abi: erc721Abi, functionName: 'isApprovedForAll', args: [owner.account, operator] })
    check(approved, `the key straight to the bundler: EXECUTED by the account (operator approved: ${approved}); thirdweb checks targets, not functions`)

    console.log('\n6. Revoke: a second owner signature; setPermissionsForSigner with no targets and a window that ended at 0')
    await provider.sessions.revoke(context)
    const after = await held(sessionKey)
    check(after.approvedTargets.length === 0 && after.endTimestamp === 0n, `the account holds for ${short(sessionKey)}: ${after.approvedTargets.length} targets, window ended at ${after.endTimestamp}`)
    const revoked = await refusal(send([mint]))
    check(revoked?.data?.reasons?.[0]?.reason === 'revoked', `keyleash refuses another mint: ${revoked?.data?.reasons?.[0]?.reason}`)
    const afterRevoke = await refusal(straight([mint]))
    check(afterRevoke?.data?.aaCode === 'AA24', `the key straight to the bundler: refused by the EntryPoint (${afterRevoke?.data?.aaCode})`)
    check(owner.prompts === 2, `owner prompts in all: ${owner.prompts} (the grant and the revoke)`)
    await owner.close()
  } finally {
    await bundler.stop()
    await chain.stop()
  }
}
