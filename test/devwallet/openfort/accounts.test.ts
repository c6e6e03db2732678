import { P256 } from 'ox'
import { type Address, type Hex, concat, createPublicClient, createWalletClient, encodeFunctionData, hashTypedData, http, maxUint48, numberToHex, pad, parseEther } from 'viem'
import { type PrivateKeyAccount, generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { beforeAll, describe, expect, test } from 'vitest'
import { demoNftAbi, demoTokenAbi, openfortDelegatedAccountAbi, openfortSmartAccountAbi } from '../../../src/devwallet/artifacts.js'
import { type AccountCall, deployDemoNft, deployDemoToken, executeTypedData, randomExecuteNonce } from '../../../src/devwallet/contracts.js'
import { revertError } from '../../../src/devwallet/errors.js'
import {
  delegateToOpenfort,
  deployOpenfortDelegatedImplementation,
  deployOpenfortSmartAccount,
  openfortDomainNames,
  type OpenfortAccountType,
} from '../../../src/devwallet/openfort/accounts.js'
import { generateP256Key, p256Signer } from '../../../src/sessions/p256Key.js'
import { fund } from '../../../src/devwallet/wallet.js'
import { useSharedChain } from '../../utils/chain.js'

/*
 * The facts of Openfort's published account contracts, one test each, against keyleash's models of
 * them (contracts/OpenfortAccounts.sol) on the dev chain: owner batches register keys, key batches
 * are relayed, and every refusal names the rule it breaks.
 */

const { rpcUrl, testClient } = useSharedChain()
const publicClient = createPublicClient({ chain: anvil, transport: http(rpcUrl), pollingInterval: 10 })
const relayer = createWalletClient({ account: privateKeyToAccount(generatePrivateKey()), chain: anvil, transport: http(rpcUrl) })
const abis = { 'Smart Account': openfortSmartAccountAbi, 'Delegated Account': openfortDelegatedAccountAbi } as const
const zero32 = pad('0x', { size: 32 })
let nft: Address
let token: Address
let implementation: Address

beforeAll(async () => {
  await fund(publicClient, relayer.account.address, parseEther('1000'))
  nft = await deployDemoNft(relayer, publicClient)
  token = await deployDemoToken(relayer, publicClient)
  implementation = await deployOpenfortDelegatedImplementation(relayer, publicClient)
}, 60_000)

type Account = { type: OpenfortAccountType; address: Address; owner: PrivateKeyAccount }

async function smartAccount(): Promise<Account> {
  const owner = privateKeyToAccount(generatePrivateKey())
  return { type: 'Smart Account', address: await deployOpenfortSmartAccount(relayer, publicClient, owner.address), owner }
}

async function delegatedAccount(): Promise<Account> {
  const owner = privateKeyToAccount(generatePrivateKey())
  await delegateToOpenfort(relayer, publicClient, owner.address, await owner.signAuthorization({ contractAddress: implementation, chainId: anvil.id, nonce: 0 }))
  await relayer.sendTransaction({ to: owner.address, value: parseEther('1') })
  return { type: 'Delegated Account', address: owner.address, owner }
}

const digestOf = (account: Account, calls: AccountCall[], nonce: bigint) => hashTypedData(executeTypedData(account.address, anvil.id, calls, nonce, openfortDomainNames[account.type]))

/** Runs `calls` on the account, signed by `sign`; resolves to the decoded revert, or 'ok'. */
async function run(account: Account, calls: AccountCall[], sign: (digest: Hex) => Promise<Hex>): Promise<string> {
  const nonce = randomExecuteNonce()
  const args = [calls, nonce, await sign(digestOf(account, calls, nonce))] as const
  try {
    const gas = await publicClient.estimateContractGas({ address: account.address, abi: abis[account.type] as typeof openfortSmartAccountAbi, functionName: 'execute', args, account: relayer.account })
    const hash = await relayer.writeContract({ address: account.address, abi: abis[account.type] as typeof openfortSmartAccountAbi, functionName: 'execute', args, gas })
    expect((await publicClient.waitForTransactionReceipt({ hash })).status).toBe('success')
    return 'ok'
  } catch (error) {
    const { data } = revertError(error) as { data?: { errorName?: string; args?: unknown[] } }
    return `${data?.errorName}(${(data?.args ?? []).map(String).join(', ')})`
  }
}
const asOwner = (account: Account, calls: AccountCall[]) => run(account, calls, (digest) => account.owner.sign({ hash: digest }))
const asKey = (account: Account, key: PrivateKeyAccount, calls: AccountCall[]) => run(account, calls, (digest) => key.sign({ hash: digest }))
const self = (account: Account, data: Hex): AccountCall => ({ target: account.address, value: 0n, data })
const mint = (account: Account): AccountCall => ({ target: nft, value: 0n, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'mint', args: [account.address] }) })
const now = async () => Number((await publicClient.getBlock()).timestamp)

describe('Smart Account (BaseOpenfortAccount)', () => {
  const register = async (account: Account, key: Address, limit: number, whitelist: Address[]) => {
    const start = await now()
    return asOwner(account, [self(account, encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'registerSessionKey', args: [key, start - 1, start + 3600, limit, whitelist] }))])
  }
  const limitOf = async (account: Account, key: Address) => (await publicClient.readContract({ address: account.address, abi: openfortSmartAccountAbi, functionName: 'sessionKeys', args: [key] }))[2]

  test('behavior: a whitelist holds at most 10 targets; 11 are refused', async () => {
    const account = await smartAccount()
    const targets = (n: number) => Array.from({ length: n }, () => privateKeyToAccount(generatePrivateKey()).address)
    expect(await register(account, privateKeyToAccount(generatePrivateKey()).address, 5, targets(10))).toBe('ok')
    expect(await register(account, privateKeyToAccount(generatePrivateKey()).address, 5, targets(11))).toMatch(/^CallFailed\(0, 0x/)
    expect(revertOf(await registerRaw(account, targets(11)))).toBe('WhitelistTooBig(11, 10)')
  })

  test('behavior: the limit counts calls: a batch of 3 uses 3, and a batch over what is left is refused', async () => {
    const account = await smartAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    await register(account, key.address, 5, [nft])
    expect(await asKey(account, key, [mint(account), mint(account), mint(account)])).toBe('ok')
    expect(await limitOf(account, key.address)).toBe(2)
    expect(await asKey(account, key, [mint(account), mint(account), mint(account)])).toBe(`LimitReached(${key.address}, 2, 3)`)
  })

  test('behavior: a batch holds at most 9 calls, whoever signs it', async () => {
    const account = await smartAccount()
    expect(await asOwner(account, Array.from({ length: 10 }, () => mint(account)))).toBe('BatchTooBig(10, 9)')
    expect(await asOwner(account, Array.from({ length: 9 }, () => mint(account)))).toBe('ok')
  })

  test('behavior: no whitelist and a limit of 2^48-1 is a master key: any target, the account itself too', async () => {
    const account = await smartAccount()
    const master = privateKeyToAccount(generatePrivateKey())
    await register(account, master.address, Number(maxUint48), [])
    const tokenMint: AccountCall = { target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [account.address, 1n] }) }
    expect(await asKey(account, master, [tokenMint, mint(account), self(account, encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'owner' }))])).toBe('ok')
    // One less is not a master key: no whitelist, so any target, but never the account itself.
    const almost = privateKeyToAccount(generatePrivateKey())
    await register(account, almost.address, Number(maxUint48) - 1, [])
    expect(await asKey(account, almost, [tokenMint])).toBe('ok')
    expect(await asKey(account, almost, [self(account, encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'owner' }))])).toBe(`SelfCall(${almost.address})`)
  })

  test('behavior: a key may not call the account itself, even whitelisted; nor can a master key register keys', async () => {
    const account = await smartAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    await register(account, key.address, 5, [account.address, nft])
    expect(await asKey(account, key, [self(account, encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'owner' }))])).toBe(`SelfCall(${key.address})`)
    const master = privateKeyToAccount(generatePrivateKey())
    await register(account, master.address, Number(maxUint48), [])
    const start = await now()
    const registerOther = self(account, encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'registerSessionKey', args: [key.address, start, start + 60, 1, []] }))
    expect(await asKey(account, master, [registerOther])).toBe('CallFailed(0, 0x30cd7471)')
  })

  test('behavior: no selector, value or token checks: a whitelisted key calls any function of its target', async () => {
    const account = await smartAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    await register(account, key.address, 5, [nft, token])
    const approveAll: AccountCall = { target: nft, value: 0n, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [key.address, true] }) }
    const tokenMint: AccountCall = { target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [account.address, 10n ** 30n] }) }
    const transfer: AccountCall = { target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [key.address, 10n ** 30n] }) }
    expect(await asKey(account, key, [approveAll, tokenMint, transfer])).toBe('ok')
    expect(await asKey(account, key, [{ target: token, value: 0n, data: '0x' }])).toMatch(/^CallFailed/)
    expect(await asKey(account, key, [{ target: privateKeyToAccount(generatePrivateKey()).address, value: 0n, data: '0x' }])).toMatch(/^TargetNotWhitelisted/)
  })

  test('behavior: ERC-1271 takes a live key\'s signature over ANY hash (as OpenfortMessage) as the account\'s, until it is revoked', async () => {
    const account = await smartAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    await register(account, key.address, 5, [nft])
    const permit2Hash = pad('0x1234', { size: 32 })
    const wrapped = hashTypedData({
      domain: { name: openfortDomainNames['Smart Account'], version: '1', chainId: anvil.id, verifyingContract: account.address },
      types: { OpenfortMessage: [{ name: 'hashedMessage', type: 'bytes32' }] },
      primaryType: 'OpenfortMessage',
      message: { hashedMessage: permit2Hash },
    })
    const valid = () => publicClient.readContract({ address: account.address, abi: openfortSmartAccountAbi, functionName: 'isValidSignature', args: [permit2Hash, signature] })
    const signature = await key.sign({ hash: wrapped })
    expect(await valid()).toBe('0x1626ba7e')
    await asOwner(account, [self(account, encodeFunctionData({ abi: openfortSmartAccountAbi, functionName: 'revokeSessionKey', args: [key.address] }))])
    expect(await valid()).toBe('0xffffffff')
  })

  /** The owner's registration sent straight from the owner (not through `execute`), to read the account's own revert. */
  async function registerRaw(account: Account, whitelist: Address[]) {
    const start = await now()
    const owner = createWalletClient({ account: account.owner, chain: anvil, transport: http(rpcUrl) })
    await relayer.sendTransaction({ to: account.owner.address, value: parseEther('1') })
    return owner
      .writeContract({ address: account.address, abi: openfortSmartAccountAbi, functionName: 'registerSessionKey', args: [account.owner.address, start, start + 60, 1, whitelist] })
      .catch((error: unknown) => error)
  }
})

describe('Delegated Account (IKey.KeyData, EIP-7702)', () => {
  type KeyRegOverrides = Partial<{ keyType: number; eoa: Address; x: Hex; y: Hex; limit: number; whitelist: Address[]; allowedSelectors: Hex[]; ethLimit: bigint; spendToken: Address; spendLimit: bigint }>
  const register = async (account: Account, reg: KeyRegOverrides) => {
    const start = await now()
    const data = encodeFunctionData({
      abi: openfortDelegatedAccountAbi,
      functionName: 'registerKey',
      args: [
        {
          keyType: 0,
          eoa: '0x0000000000000000000000000000000000000000',
          x: zero32,
          y: zero32,
          validAfter: start - 1,
          validUntil: start + 3600,
          limit: 10,
          whitelist: [nft],
          allowedSelectors: ['0x6a627842'],
          ethLimit: 0n,
          spendToken: '0x0000000000000000000000000000000000000000',
          spendLimit: 0n,
          ...reg,
        },
      ],
    })
    return asOwner(account, [self(account, data)])
  }
  const keyData = (account: Account, key: Address) => publicClient.readContract({ address: account.address, abi: openfortDelegatedAccountAbi, functionName: 'getKey', args: [key] })

  test('default: the account is the owner\'s own address, running the model by EIP-7702; the owner signs for it', async () => {
    const account = await delegatedAccount()
    expect((await publicClient.getCode({ address: account.address }))?.slice(0, 8)).toBe('0xef0100')
    expect(await asOwner(account, [mint(account)])).toBe('ok')
  })

  test('behavior: limit 0 registers a master key: any target, any function, any value, past its window', async () => {
    const account = await delegatedAccount()
    const master = privateKeyToAccount(generatePrivateKey())
    expect(await register(account, { eoa: master.address, limit: 0, whitelist: [], allowedSelectors: [] })).toBe('ok')
    expect(await keyData(account, master.address)).toMatchObject({ master: true, active: true })
    const tokenMint: AccountCall = { target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [account.address, 1n] }) }
    const pay: AccountCall = { target: master.address, value: parseEther('0.5'), data: '0x' }
    const scoped = privateKeyToAccount(generatePrivateKey())
    await register(account, { eoa: scoped.address })
    // Two hours on: past the hour both were registered for. Only the scoped key is held to it.
    await testClient.increaseTime({ seconds: 7200 })
    await testClient.mine({ blocks: 1 })
    expect(await asKey(account, master, [tokenMint, pay])).toBe('ok')
    expect(await asKey(account, scoped, [mint(account)])).toMatch(new RegExp(`^KeyNotValidNow\\(${scoped.address}, `))
  })

  test('behavior: allowedSelectors are enforced, at most 10 of them', async () => {
    const account = await delegatedAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    await register(account, { eoa: key.address })
    expect(await asKey(account, key, [mint(account)])).toBe('ok')
    const approveAll: AccountCall = { target: nft, value: 0n, data: encodeFunctionData({ abi: demoNftAbi, functionName: 'setApprovalForAll', args: [key.address, true] }) }
    expect(await asKey(account, key, [approveAll])).toBe(`SelectorNotAllowed(${key.address}, ${nft}, 0xa22cb465)`)
    const eleven = Array.from({ length: 11 }, (_, i) => numberToHex(i + 1, { size: 4 }))
    expect(await register(account, { eoa: privateKeyToAccount(generatePrivateKey()).address, allowedSelectors: eleven })).toMatch(/^CallFailed\(0, 0x/)
    expect(await register(account, { eoa: privateKeyToAccount(generatePrivateKey()).address, allowedSelectors: eleven.slice(1) })).toBe('ok')
  })

  test('behavior: ethLimit is wei left: spent call by call, and a call over it is refused', async () => {
    const account = await delegatedAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    const payee = privateKeyToAccount(generatePrivateKey()).address
    await register(account, { eoa: key.address, whitelist: [payee], allowedSelectors: ['0x00000000'], ethLimit: 100n })
    const pay = (value: bigint): AccountCall => ({ target: payee, value, data: '0x' })
    expect(await asKey(account, key, [pay(60n)])).toBe('ok')
    expect((await keyData(account, key.address)).ethLimit).toBe(40n)
    expect(await asKey(account, key, [pay(41n)])).toBe(`EthLimitExceeded(${key.address}, 41, 40)`)
  })

  test('behavior: the token spend limit is enforced on calls to that token (and the token is whitelisted with it)', async () => {
    const account = await delegatedAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    await asOwner(account, [{ target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'mint', args: [account.address, 1000n] }) }])
    await register(account, { eoa: key.address, whitelist: [], allowedSelectors: ['0xa9059cbb'], spendToken: token, spendLimit: 100n })
    const transfer = (amount: bigint): AccountCall => ({ target: token, value: 0n, data: encodeFunctionData({ abi: demoTokenAbi, functionName: 'transfer', args: [key.address, amount] }) })
    expect(await asKey(account, key, [transfer(70n)])).toBe('ok')
    expect(await asKey(account, key, [transfer(31n)])).toBe(`SpendLimitExceeded(${key.address}, ${token}, 31, 30)`)
  })

  test('behavior: the limit counts calls (a batch of 3 uses 3); the whitelist and the account itself are enforced', async () => {
    const account = await delegatedAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    await register(account, { eoa: key.address, limit: 4 })
    expect(await asKey(account, key, [mint(account), mint(account), mint(account)])).toBe('ok')
    expect((await keyData(account, key.address)).limit).toBe(1)
    expect(await asKey(account, key, [mint(account), mint(account)])).toBe(`LimitReached(${key.address}, 0, 1)`)
    const other = privateKeyToAccount(generatePrivateKey())
    await register(account, { eoa: other.address })
    const elsewhere = await deployDemoNft(relayer, publicClient)
    expect(await asKey(account, other, [{ ...mint(account), target: elsewhere }])).toBe(`TargetNotWhitelisted(${other.address}, ${elsewhere})`)
    expect(await asKey(account, other, [self(account, '0x6a627842')])).toBe(`SelfCall(${other.address})`)
  })

  test('behavior: ERC-1271 takes a live EOA key\'s signature over ANY hash, as signed, as the account\'s, until it is revoked', async () => {
    const account = await delegatedAccount()
    const key = privateKeyToAccount(generatePrivateKey())
    await register(account, { eoa: key.address })
    const permit2Hash = pad('0x1234', { size: 32 })
    const signature = await key.sign({ hash: permit2Hash })
    const valid = () => publicClient.readContract({ address: account.address, abi: openfortDelegatedAccountAbi, functionName: 'isValidSignature', args: [permit2Hash, signature] })
    expect(await valid()).toBe('0x1626ba7e')
    await asOwner(account, [self(account, encodeFunctionData({ abi: openfortDelegatedAccountAbi, functionName: 'revokeKey', args: [key.address] }))])
    expect(await valid()).toBe('0xffffffff')
  })

  test('behavior: key types P256 (the digest signed) and P256NONKEY (its SHA-256, a non-extractable WebCrypto key) sign; a WEBAUTHN key registers but this model checks no assertion', async () => {
    const account = await delegatedAccount()
    // P256: an extractable key signs the digest itself.
    const privateKey = P256.randomPrivateKey()
    const point = P256.getPublicKey({ privateKey })
    const x = numberToHex(point.x, { size: 32 })
    const y = numberToHex(point.y, { size: 32 })
    expect(await register(account, { keyType: 2, x, y })).toBe('ok')
    const p256 = await run(account, [mint(account)], async (digest) => {
      const { r, s } = P256.sign({ payload: digest, privateKey })
      // The account takes the low-s form only (no malleable twin).
      const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
      return concat(['0x02', x, y, numberToHex(r, { size: 32 }), numberToHex(s > n / 2n ? n - s : s, { size: 32 })])
    })
    expect(p256).toBe('ok')
    // P256NONKEY: WebCrypto hashes the message with SHA-256 before it signs.
    const pair = await generateP256Key()
    const signer = p256Signer(pair)
    const [nx, ny] = [`0x${pair.publicKey.slice(4, 68)}`, `0x${pair.publicKey.slice(68)}`] as [Hex, Hex]
    expect(await register(account, { keyType: 3, x: nx, y: ny })).toBe('ok')
    const nonKey = await run(account, [mint(account)], async (digest) => concat(['0x03', nx, ny, await signer.sign({ hash: digest })]))
    expect(nonKey).toBe('ok')
    // The same WebCrypto signature sent as a P256 key's is refused: the key's type is part of it.
    const mismatch = await run(account, [mint(account)], async (digest) => concat(['0x02', nx, ny, await signer.sign({ hash: digest })]))
    expect(mismatch).toMatch(/^KeyTypeMismatch/)
    const webauthn = P256.getPublicKey({ privateKey: P256.randomPrivateKey() })
    expect(await register(account, { keyType: 1, x: numberToHex(webauthn.x, { size: 32 }), y: numberToHex(webauthn.y, { size: 32 }) })).toBe('ok')
  })
})

function revertOf(error: unknown): string {
  const { data } = revertError(error) as { data?: { errorName?: string; args?: unknown[] } }
  return `${data?.errorName}(${(data?.args ?? []).map(String).join(', ')})`
}
