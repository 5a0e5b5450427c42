// A small seeded PRNG (xorshift128+) so generated tests are reproducible.
export class Rng {
  private s0: bigint;
  private s1: bigint;
  constructor(seed: number | bigint) {
    this.s0 = BigInt.asUintN(64, BigInt(seed) * 0x9e3779b97f4a7c15n + 1n);
    this.s1 = BigInt.asUintN(64, this.s0 ^ 0xdeadbeefcafebaben);
    for (let i = 0; i < 8; i++) this.u64();
  }
  /** Uniform 64-bit value. */
  u64(): bigint {
    let x = this.s0;
    const y = this.s1;
    this.s0 = y;
    x = BigInt.asUintN(64, x ^ (x << 23n));
    this.s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n);
    return BigInt.asUintN(64, this.s1 + y);
  }
  /** Uniform 32-bit value. */
  u32(): number {
    return Number(this.u64() >> 32n) >>> 0;
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }
  /** One of the items. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
}
