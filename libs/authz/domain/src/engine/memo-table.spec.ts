import { MemoTable } from './memo-table';

describe('MemoTable', () => {
  it('stores, overwrites, deletes and clears, across growth', () => {
    const table = new MemoTable();
    const keys = Array.from({ length: 5000 }, (_, i) => i * 128 + (i % 7) - (i % 3 === 0 ? 1e12 : 0));
    keys.forEach((key, i) => table.set(key, i % 5));
    keys.forEach((key, i) => expect(table.get(key)).toBe(i % 5));
    table.set(keys[10]!, -3);
    table.delete(keys[11]!);
    expect([table.get(keys[10]!), table.get(keys[11]!), table.get(keys[12]!)]).toEqual([
      -3,
      undefined,
      12 % 5,
    ]);
    table.set(keys[11]!, 4);
    expect(table.get(keys[11]!)).toBe(4);
    table.clear();
    expect(keys.some((key) => table.get(key) !== undefined)).toBe(false);
    table.set(7, 1);
    expect(table.get(7)).toBe(1);
  });
});
