import { comparePositions, formatPosition, parsePosition } from './event';

describe('global positions', () => {
  it('orders by commit, then prepare', () => {
    const ordered = [
      { commit: 1n, prepare: 9n },
      { commit: 2n, prepare: 1n },
      { commit: 2n, prepare: 3n },
    ];
    expect([...ordered].reverse().sort(comparePositions)).toEqual(ordered);
  });

  it('round-trips through its token form and rejects anything else', () => {
    const position = { commit: 18446744073709551615n, prepare: 42n };
    expect(parsePosition(formatPosition(position))).toEqual(position);
    expect(parsePosition('12')).toBeNull();
    expect(parsePosition('1-2-3')).toBeNull();
    expect(parsePosition('-1-2')).toBeNull();
  });
});
