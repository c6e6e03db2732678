/**
 * mulberry32: small, seeded, good enough to pick test cases; a run replays from its seed.
 *
 * @example
 * const rng = random(Number(process.env.KEYLEASH_SEED ?? 1))
 * rng.pick(['a', 'b'])
 */
export function random(seedValue: number) {
  let state = seedValue >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    chance: (p: number) => next() < p,
    pick: <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T,
    subset: <T>(list: readonly T[]): T[] => list.filter(() => next() < 0.5),
  }
}
