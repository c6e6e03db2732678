// Hostile sign requests from a session key's address: the longest any one takes, refused or
// signed. Each is awaited alone, so its time bounds the longest event-loop stall it causes.
// Targets: a refusal over the size limits < 10 ms whatever its shape; any request < 100 ms.
// Run alone: node --expose-gc --import tsx bench/hostileSign.bench.ts
import { fileURLToPath } from 'node:url'
import { stringToHex, type Address } from 'viem'
import { generatePrivateKey } from 'viem/accounts'
import { withSessionKeys } from '../src/provider.js'
import { sessionSigning } from '../src/permissions/sessionSigning.js'

const now = 1_800_000_000
const account: Address = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'
const target: Address = '0x5FbDB2315678afecb367f032d93F642f64180aa3'
const domain = { name: 'App', version: '1', chainId: 31337 }
const typed = (type: string, id: unknown) => ({ domain, types: { Login: [{ name: 'id', type }], Node: [{ name: 'next', type: 'Node[]' }] }, primaryType: 'Login', message: { id } })
const nodes = (depth: number) => {
  let node: unknown = { next: [] }
  for (let i = 0; i < depth; i++) node = { next: [node] }
  return node
}

async function signingProvider() {
  const inner = {
    request: async ({ method }: { method: string }) =>
      method === 'eth_chainId' ? '0x7a69'
      : method === 'eth_accounts' ? [account]
      : { expiry: now + 3600, grantedPermissions: [{ type: 'contract-call', data: { address: target, calls: [] } }], permissionsContext: '0x01' },
  }
  const provider = withSessionKeys(inner, { now: () => now, signing: sessionSigning({ hashes: true, messages: true, typedData: true }) })
  const key = await provider.sessions.importKey(generatePrivateKey())
  await provider.request({
    method: 'wallet_grantPermissions',
    params: [{ expiry: 3600, signer: { type: 'account', data: { id: key } }, permissions: [{ type: 'contract-call', data: { address: target } }] }],
  })
  return { provider, key }
}

export async function run(): Promise<void> {
  const { provider, key } = await signingProvider()
  const refused: [string, () => unknown[]][] = [
    ['personal_sign, 16 MB of text', () => ['a'.repeat(16 * 2 ** 20), key]],
    ['personal_sign, 16 MB of hex', () => [`0x${'ab'.repeat(8 * 2 ** 20)}`, key]],
    ['typed data, a 4 MB string as JSON', () => [key, JSON.stringify(typed('string', 'x'.repeat(4 * 2 ** 20)))]],
    ['typed data, a 4 MB string', () => [key, typed('string', 'x'.repeat(4 * 2 ** 20))]],
    ['typed data, 10,000 strings of 1 kB', () => [key, typed('string[]', Array.from({ length: 10_000 }, () => 'y'.repeat(1024)))]],
    ['typed data, a million-element array', () => [key, typed('uint256[]', new Array(1_000_000).fill(0))]],
    ['typed data, 10,000 levels of nesting', () => [key, typed('Node', nodes(10_000))]],
  ]
  // The most a request within the limits makes keyleash read, classify and sign.
  const signed: [string, () => unknown[]][] = [
    ['personal_sign, 16 kB of text as hex (at the limit)', () => [stringToHex('z'.repeat(16_383)), key]],
    ['typed data, 500 strings of 60 characters, as JSON', () => [key, JSON.stringify(typed('string[]', Array.from({ length: 500 }, (_, i) => String(i).padStart(60, 'v'))))]],
    ['typed data, 500 numbers', () => [key, typed('uint256[]', Array.from({ length: 500 }, (_, i) => i))]],
    ['typed data, 30 levels of nesting', () => [key, typed('Node', nodes(14))]],
    ['typed data, one 32 kB string', () => [key, typed('string', 'w'.repeat(32_000))]],
  ]
  // Warm: the first request builds the session index and compiles the paths.
  for (let i = 0; i < 20; i++) {
    await provider.request({ method: 'personal_sign', params: ['Sign in to example.com', key] })
    await provider.request({ method: 'personal_sign', params: ['a'.repeat(40_000), key] }).catch(() => undefined)
  }
  let worstRefusal = 0
  let worst = 0
  for (const [label, params, expectRefusal] of [...refused.map(([l, p]) => [l, p, true] as const), ...signed.map(([l, p]) => [l, p, false] as const)]) {
    const method = label.startsWith('personal_sign') ? 'personal_sign' : 'eth_signTypedData_v4'
    let longest = 0
    for (let i = 0; i < 5; i++) {
      const request = { method, params: params() }
      // Building a hostile request leaves garbage: collect it first, so its collection is not timed here.
      ;(globalThis as { gc?: () => void }).gc?.()
      const start = performance.now()
      const cpu = process.cpuUsage()
      const outcome = await provider.request(request).then(
        () => 'signed',
        (error: { code: number }) => error.code,
      )
      const wall = performance.now() - start
      // On a shared machine the wall clock counts time the process was not running: report the CPU time it spent, bounded by the wall time.
      const used = process.cpuUsage(cpu)
      longest = Math.max(longest, Math.min(wall, (used.user + used.system) / 1000))
      if ((outcome === -32602) !== expectRefusal) throw new Error(`${label}: ${String(outcome)}`)
    }
    if (expectRefusal) worstRefusal = Math.max(worstRefusal, longest)
    worst = Math.max(worst, longest)
    console.log(`${label}: ${expectRefusal ? 'refused' : 'signed'}, longest ${longest.toFixed(2)} ms`)
  }
  console.log(`longest refusal: ${worstRefusal.toFixed(2)} ms (target < 10 ms); longest request: ${worst.toFixed(2)} ms (target < 100 ms)`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run()
