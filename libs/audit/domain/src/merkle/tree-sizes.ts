// Tree sizes and indexes are plain numbers (up to 2^53), so these avoid 32-bit bitwise operators.

export const isTreeSize = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

export const isPowerOfTwo = (n: number): boolean => n >= 1 && 2 ** Math.round(Math.log2(n)) === n;

/** The largest power of two strictly below `n` (n ≥ 2): where RFC 9162 splits a tree of n leaves. */
export const largestPowerOfTwoBelow = (n: number): number => {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
};

export const isOdd = (n: number): boolean => n % 2 === 1;

export const half = (n: number): number => Math.floor(n / 2);

/** The number of set bits of `n`: a tree of n leaves is made of that many perfect subtrees. */
export const countOnes = (n: number): number => {
  let ones = 0;
  for (let rest = n; rest > 0; rest = half(rest)) if (isOdd(rest)) ones++;
  return ones;
};
