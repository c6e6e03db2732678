/**
 * The seed's story, on the built-in development wallet: an embedded wallet (speaking Openfort's
 * dialect) on a local chain, wrapped with keyleash, driven through viem. One prompt to grant,
 * then five mints with the session key and no prompt, a call outside the grant refused with its
 * reason (and reverted by the chain when sent anyway), and a revoke that sticks.
 *
 * Run: npm run demo   (no network: the chain is anvil on 127.0.0.1)
 * Exits 0 only if every step did what it says.
 */
import { BaseError, createPublicClient, createWalletClient, custom, encodeFunctionData, erc20Abi, http, type Address, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { foundry } from 'viem/chains'
import { erc7715Actions } from 'viem/experimental'
import { withSessionKeys } from '../src/index.js'
import { createDevWallet, demoNftAbi, devWalletDialects, sessionAccountAbi, startDevChain, type DevWalletDialectName } from '../src/devwallet/index.js'

// `--wallet=<name>`: the dev wallet speaks the named dialect, and keyleash is given its value.
const name = process.argv.find((arg) => arg.startsWith('--wallet='))?.slice('--wallet='.length) ?? 'openfort'
// MetaMask's Advanced Permissions run on its own Delegation Framework: their story is demo/metamask.ts.
if (name === 'metamask') process.exit(await (await import('./metamask.js')).runMetaMaskDemo())
if (!Object.hasOwn(devWalletDialects, name)) {
  console.error(`--wallet=${name}: the dev wallet speaks ${Object.keys(devWalletDialects).join(', ')}, or metamask`)
  process.exit(2)
}
const dialect = name as DevWalletDialectName
const started = process.hrtime.bigint()
const short = (value: string) => `${value.slice(0, 6)}…${value.slice(-4)}`
let failures = 0

function check(ok: boolean, what: string): void {
  console.log(`   ${ok ? '✓' : '✗'} ${what}`)
  if (!ok) failures++
}

async function main(): Promise<void> {
  console.log(`1. Start a local chain and the development wallet (speaking ${dialect})`)
  const chain = await startDevChain()
  try {
    const wallet = await createDevWallet({
      rpcUrl: chain.rpcUrl,
      dialect,
      approve: ({ summary }) => {
        console.log(`   [wallet] confirm? ${summary} → approved`)
        return true
      },
    })
    const { nft, token } = wallet.contracts
    const account = wallet.account
    console.log(`   chain ${chain.rpcUrl}, account ${short(account)}, NFT ${short(nft)}`)

    const provider = withSessionKeys(wallet.provider, { wallet: devWalletDialects[dialect] })
    const client = createWalletClient({ account, chain: foundry, transport: custom(provider) }).extend(erc7715Actions())
    const chainClient = createPublicClient({ transport: http(chain.rpcUrl) })
    const mint: Hex = encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [account] })
    const nfts = () => chainClient.readContract({ address: nft, abi: demoNftAbi, functionName: 'balanceOf', args: [account] })
    const onChain = (key: Address) => chainClient.readContract({ address: account, abi: sessionAccountAbi, functionName: 'getSession', args: [key] })

    console.log('\n2. Grant a session key: the NFT\'s mint(address), for one day (the seed\'s request)')
    const privateKey = generatePrivateKey()
    const sessionKey = await provider.sessions.importKey(privateKey)
    const grant = await client.grantPermissions({
      signer: { type: 'account', data: { id: privateKeyToAccount(privateKey).address } },
      expiry: 60 * 60 * 24,
      permissions: [{ type: 'contract-call', data: { address: nft, calls: ['mint(address)'] }, policies: [] }],
    })
    const context = grant.permissionsContext
    const registered = await onChain(sessionKey)
    console.log(`   session ${context}, key ${short(sessionKey)}, valid until ${new Date(grant.expiry * 1000).toISOString()}`)
    check(registered.exists && !registered.revoked, `registered on-chain for key ${short(sessionKey)}`)
    check(wallet.prompts === 1, `prompts so far: ${wallet.prompts}`)

    console.log('\n3. Mint 5 NFTs with the session key')
    for (let i = 1; i <= 5; i++) {
      const { id } = await client.sendCalls({ calls: [{ to: nft, data: mint }], capabilities: { permissions: { context } } })
      const status = await client.waitForCallsStatus({ id, pollingInterval: 50 })
      console.log(`   mint ${i}: ${status.status}, tx ${short(status.receipts?.[0]?.transactionHash ?? '0x')}`)
    }
    check((await nfts()) === 5n, `NFTs held by the account: ${await nfts()}`)
    check(wallet.prompts === 1, `prompts so far: ${wallet.prompts} (none for the mints)`)

    console.log('\n4. Try a call outside the grant: move the demo token')
    const transfer = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [wallet.owner, 1n] })
    const why = await provider.sessions.check(context, [{ to: token, data: transfer }])
    const reason = why.allowed ? undefined : why.reasons[0]
    console.log(`   keyleash says: ${reason?.reason}: ${reason?.message}`)
    const refused = await client
      .sendCalls({ calls: [{ to: token, data: transfer }], capabilities: { permissions: { context } } })
      .then(() => undefined, rpcErrorOf)
    check(refused?.code === 4100, `refused locally before the wallet saw it (${refused?.name}, code ${refused?.code})`)
    // Sent anyway, straight to the wallet with the session key's signature: the account refuses.
    const reverted = await sendAround(wallet.provider, account, privateKey, token, transfer)
    console.log(`   sent to the chain anyway: ${reverted}`)
    check(/TargetNotAllowed/.test(reverted), 'the account reverted it with the same rule')
    check(wallet.prompts === 1, `prompts so far: ${wallet.prompts}`)

    console.log('\n5. Revoke the session')
    await provider.request({ method: 'wallet_revokePermissions', params: [{ permissionContext: context }] })
    check((await onChain(sessionKey)).revoked, 'revoked on-chain')
    const after = await client.sendCalls({ calls: [{ to: nft, data: mint }], capabilities: { permissions: { context } } }).then(() => undefined, rpcErrorOf)
    check(after?.code === 4100, `the next mint is refused: ${after?.details ?? 'not refused'}`)
    check((await nfts()) === 5n, `NFTs held by the account: ${await nfts()}`)
    console.log(`   prompts in all: ${wallet.prompts} (the grant and the revoke)`)
    await wallet.close()
  } finally {
    console.log('\n6. Stop the chain')
    await chain.stop()
  }
}

/** The coded RPC error inside what viem threw (viem wraps it, e.g. in a TransactionExecutionError). */
function rpcErrorOf(error: unknown): { code: number; name: string; details: string } | undefined {
  const found = error instanceof BaseError ? error.walk((e) => typeof (e as { code?: unknown }).code === 'number') : error
  return found as { code: number; name: string; details: string } | undefined
}

/** What the chain says when a session key signs a call outside its grant and it is sent anyway. */
async function sendAround(inner: { request(args: { method: string; params?: unknown }): Promise<unknown> }, from: Address, privateKey: Hex, to: Address, data: Hex): Promise<string> {
  const key = privateKeyToAccount(privateKey)
  const prepared = (await inner.request({
    method: 'wallet_prepareCalls',
    params: [{ from, chainId: '0x7a69', calls: [{ to, data }], key: { type: 'secp256k1', publicKey: key.address } }],
  })) as { digest: Hex; context: unknown; key: unknown }
  const signature = await key.sign({ hash: prepared.digest })
  return inner.request({ method: 'wallet_sendPreparedCalls', params: [{ context: prepared.context, key: prepared.key, signature }] }).then(
    () => 'executed (it should not have been)',
    (error: { code?: number; message?: string }) => `code ${error.code}, ${error.message}`,
  )
}

main().then(
  () => {
    const seconds = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)
    console.log(failures === 0 ? `\nEvery step did what it said (${seconds} s).` : `\n${failures} check(s) failed (${seconds} s).`)
    process.exit(failures === 0 ? 0 : 1)
  },
  (error: unknown) => {
    console.error('\nThe demo failed:', error)
    process.exit(1)
  },
)
