/**
 * An integer → small-integer map cleared in O(1) between queries (a generation stamp), so the hot
 * path allocates nothing: open addressing over typed arrays, growing when half full.
 */
export class MemoTable {
  private keys = new Float64Array(1024);
  private values = new Int32Array(1024);
  private stamps = new Uint32Array(1024);
  private mask = 1023;
  private size = 0;
  private stamp = 1;

  clear(): void {
    this.size = 0;
    if (++this.stamp === 0xffffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
  }

  /** The value for `key`, or `undefined`. */
  get(key: number): number | undefined {
    const mask = this.mask;
    for (let slot = this.slotOf(key); ; slot = (slot + 1) & mask) {
      if (this.stamps[slot] !== this.stamp) return undefined;
      if (this.keys[slot] === key) {
        const value = this.values[slot]!;
        return value === ABSENT ? undefined : value;
      }
    }
  }

  set(key: number, value: number): void {
    const mask = this.mask;
    for (let slot = this.slotOf(key); ; slot = (slot + 1) & mask) {
      if (this.stamps[slot] !== this.stamp) {
        this.stamps[slot] = this.stamp;
        this.keys[slot] = key;
        this.values[slot] = value;
        if (++this.size * 2 > mask) this.grow();
        return;
      }
      if (this.keys[slot] === key) {
        this.values[slot] = value;
        return;
      }
    }
  }

  /** Forgets `key`; its slot stays claimed so probe chains remain intact. */
  delete(key: number): void {
    const mask = this.mask;
    for (let slot = this.slotOf(key); ; slot = (slot + 1) & mask) {
      if (this.stamps[slot] !== this.stamp) return;
      if (this.keys[slot] === key) {
        this.values[slot] = ABSENT;
        return;
      }
    }
  }

  private slotOf(key: number): number {
    const low = key | 0;
    const high = (key / 4294967296) | 0;
    return (Math.imul(low ^ high, 0x9e3779b1) >>> 16) & this.mask;
  }

  private grow(): void {
    const { keys, values, stamps, stamp } = this;
    const capacity = keys.length * 2;
    this.keys = new Float64Array(capacity);
    this.values = new Int32Array(capacity);
    this.stamps = new Uint32Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let slot = 0; slot < keys.length; slot++) {
      if (stamps[slot] === stamp && values[slot] !== ABSENT) this.set(keys[slot]!, values[slot]!);
    }
  }
}

const ABSENT = 0x7fffffff;
