import { getContractAddress } from 'viem'
import { readFileSync } from 'node:fs'
const salt = '0x90d8084deab30c2a37c45e8d47f49f2f7965183cb6990a98943ef94940681de3'
for (const p of ['node_modules/aa06/artifacts/EntryPoint.json', 'node_modules/@account-abstraction/contracts/artifacts/EntryPoint.json']) {
  const { bytecode } = JSON.parse(readFileSync(p, 'utf8'))
  for (const s of [salt, '0x0000000000000000000000000000000000000000000000000000000000000000'])
  console.log(p, s.slice(0,6), getContractAddress({ opcode: 'CREATE2', from: '0x4e59b44847b379578588920ca78fbf26c0b4956c', salt: s as `0x${string}`, bytecode }))
}
