/**
 * The seed's story in a page: connect, grant a session (one confirmation), mint with the
 * session key (no confirmation), see why a call outside the grant is refused, reload and mint
 * again with the session kept in IndexedDB, revoke.
 */
import { type Address, BaseError, createPublicClient, createWalletClient, custom, defineChain, encodeFunctionData, erc20Abi, http } from 'viem'
import { erc7715Actions } from 'viem/experimental'
import { demoNftAbi } from '../../src/devwallet/artifacts.js'
import { indexedDbStore } from '../../src/browser.js'
import { withSessionKeys } from '../../src/index.js'
import { devWalletBridge } from './bridge.js'
import type { DevWalletInfo } from './devWalletServer.js'

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T
const buttons = ['connect', 'grant', 'mint', 'refused', 'revoke'].map((id) => $<HTMLButtonElement>(id))
const short = (value: string) => `${value.slice(0, 6)}…${value.slice(-4)}`

function log(text: string, className = ''): void {
  const item = document.createElement('li')
  item.textContent = text
  item.className = className
  $('log').append(item)
}

const info = (await (await fetch('/devwallet/info', { method: 'POST' })).json()) as DevWalletInfo
const chain = defineChain({ id: info.chainId, name: 'anvil', nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [info.rpcUrl] } } })
const provider = withSessionKeys(devWalletBridge(), { store: indexedDbStore() })
const client = createWalletClient({ account: info.account, chain, transport: custom(provider) }).extend(erc7715Actions())
const chainClient = createPublicClient({ chain, transport: http(info.rpcUrl), pollingInterval: 50 })
let context: string | undefined

async function refresh(): Promise<void> {
  const now = (await (await fetch('/devwallet/info', { method: 'POST' })).json()) as DevWalletInfo
  $('prompts').textContent = String(now.prompts)
  $('nfts').textContent = String(await chainClient.readContract({ address: info.contracts.nft, abi: demoNftAbi, functionName: 'balanceOf', args: [info.account] }))
  const session = context === undefined ? undefined : await provider.sessions.get(context)
  $('session').textContent = session ? `${short(session.id)} · ${session.status} · until ${new Date(session.expiry * 1000).toISOString()}` : '–'
  $('session').dataset.status = session?.status ?? 'none'
  const live = session?.status === 'active'
  buttons[1]!.disabled = $('account').textContent === '–' || live
  for (const button of buttons.slice(2)) button.disabled = !live && button.id !== 'mint'
  buttons[2]!.disabled = context === undefined
}

/** Runs one step; the page says it is busy meanwhile (the browser test waits for `idle`). */
function step(id: string, action: () => Promise<void>): void {
  $(id).addEventListener('click', () => {
    document.body.dataset.state = 'busy'
    action()
      .catch((error: unknown) => {
        console.error(error)
        $('error').textContent = error instanceof Error ? error.message : String(error)
      })
      .then(refresh)
      .finally(() => {
        document.body.dataset.state = 'idle'
      })
  })
}

/** The coded error viem wrapped (e.g. keyleash's 4100 inside a viem BaseError). */
function coded(error: unknown): { code?: number; details?: string; message?: string } {
  const found = error instanceof BaseError ? error.walk((e) => typeof (e as { code?: unknown }).code === 'number') : error
  return (found ?? {}) as { code?: number; details?: string; message?: string }
}

step('connect', async () => {
  const [account] = await client.requestAddresses()
  $('account').textContent = account ?? '–'
  log(`connected ${short(account as Address)}`)
})

step('grant', async () => {
  const granted = await client.grantPermissions({
    expiry: 60 * 60 * 24,
    permissions: [{ type: 'contract-call', data: { address: info.contracts.nft, calls: ['mint(address)'] }, policies: [] }],
  })
  context = granted.permissionsContext
  log(`granted ${short(context)} (the session key lives in IndexedDB, sealed)`)
})

step('mint', async () => {
  if (context === undefined) throw new Error('grant a session first')
  try {
    const { id } = await client.sendCalls({ calls: [{ to: info.contracts.nft, abi: demoNftAbi, functionName: 'mint', args: [info.account] }], capabilities: { permissions: { context } } })
    const status = await client.waitForCallsStatus({ id, pollingInterval: 50 })
    log(`minted: ${status.status}, tx ${short(status.receipts?.[0]?.transactionHash ?? '0x')}`, 'minted')
  } catch (error) {
    const { code, details } = coded(error)
    if (code !== 4100) throw error
    log(`mint refused by keyleash (${code}): ${details}`, 'refused')
  }
})

step('refused', async () => {
  if (context === undefined) throw new Error('grant a session first')
  const transfer = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [info.account, 1n] })
  const check = await provider.sessions.check(context, [{ to: info.contracts.token, data: transfer }])
  const reason = check.allowed ? undefined : check.reasons.find((r) => r !== null)
  const error = await client.sendCalls({ calls: [{ to: info.contracts.token, data: transfer }], capabilities: { permissions: { context } } }).then(() => undefined, coded)
  log(`refused (${error?.code}): ${reason?.reason}: ${reason?.message}`, 'refused')
})

step('revoke', async () => {
  if (context === undefined) throw new Error('grant a session first')
  await provider.sessions.revoke(context)
  log(`revoked ${short(context)}`)
})

// After a reload: the account's live session is still in IndexedDB, key and all.
const [kept] = await provider.sessions.list({ account: info.account, status: 'active' })
if (kept) {
  context = kept.id
  $('account').textContent = info.account
  log(`session ${short(kept.id)} restored from IndexedDB`, 'restored')
}
await refresh()
document.body.dataset.state = 'idle'
