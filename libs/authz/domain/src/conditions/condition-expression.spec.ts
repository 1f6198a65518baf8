import {
  compileExpression,
  convertValue,
  EvaluationFailure,
  type ExpressionParameter,
} from './condition-expression';
import { parseCidr, parseDuration, parseIp, parseTimestamp } from './condition-values';

const run = (
  expression: string,
  parameters: ExpressionParameter[] = [],
  raw: Record<string, unknown> = {},
): boolean => {
  const compiled = compileExpression(expression, parameters);
  const values = parameters.map((p) => {
    const converted = convertValue(p.type, raw[p.name]);
    if (!converted.ok) throw new Error(`bad test value for ${p.name}`);
    return converted.value;
  });
  return compiled.evaluate(values);
};

describe('condition values', () => {
  it('parses RFC 3339 timestamps with offsets and fractions', () => {
    expect(parseTimestamp('1970-01-01T00:00:00Z')).toBe(0);
    expect(parseTimestamp('2024-05-06T10:00:00+02:00')).toBe(Date.UTC(2024, 4, 6, 8));
    expect(parseTimestamp('2024-05-06T10:00:00.1239-00:30')).toBe(Date.UTC(2024, 4, 6, 10, 30, 0, 123));
    expect(parseTimestamp('2024-02-30T10:00:00Z')).toBeUndefined();
    expect(parseTimestamp('2024-05-06 10:00:00')).toBeUndefined();
    expect(parseTimestamp('2024-05-06T24:00:00Z')).toBeUndefined();
  });

  it('parses durations', () => {
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('-15m')).toBe(-900_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('1d')).toBeUndefined();
    expect(parseDuration('')).toBeUndefined();
    expect(parseDuration('h')).toBeUndefined();
  });

  it('parses IPv4, IPv6 and IPv4-mapped addresses and CIDRs', () => {
    expect(parseIp('10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIp('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIp('2001:db8::1')?.family).toBe(6);
    expect(parseIp('::ffff:10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIp('1:2:3:4:5:6:7:8')?.value).toBe(0x00010002000300040005000600070008n);
    for (const bad of ['256.0.0.1', '1.2.3', '01.2.3.4', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '']) {
      expect(parseIp(bad)).toBeUndefined();
    }
    expect(parseCidr('10.0.0.0/8')).toEqual({ family: 4, prefix: 8, network: 0x0a000000n });
    expect(parseCidr('10.1.2.3/33')).toBeUndefined();
    expect(parseCidr('2001:db8::/129')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
  });
});

describe('condition expressions', () => {
  it('evaluates literals, comparisons and logic with precedence', () => {
    expect(run('1 + 2 == 3 && !false || false')).toBe(true);
    expect(run("'a' < 'b' && 2.5 > 2 && 3 >= 3 && 1 != 2")).toBe(true);
    expect(run('-(1 - 3) == 2')).toBe(true);
    expect(run('(true || false) && false')).toBe(false);
    expect(run("'x' in ['a', 'x'] && 2 in [1, 2.0] && !(5 in [1, 2])")).toBe(true);
    expect(
      run("size('abc') == 3 && startsWith('usr_01', 'usr_') && contains('abc', 'b') && endsWith('abc', 'c')"),
    ).toBe(true);
  });

  it('does arithmetic on timestamps and durations', () => {
    const parameters: ExpressionParameter[] = [
      { name: 'now', type: 'timestamp' },
      { name: 'granted_at', type: 'timestamp' },
      { name: 'ttl', type: 'duration' },
    ];
    const within =
      'now < granted_at + ttl && now - granted_at < duration("2h") && granted_at > timestamp("2020-01-01T00:00:00Z")';
    const base = { granted_at: '2024-05-06T09:00:00Z', ttl: '1h' };
    expect(run(within, parameters, { ...base, now: '2024-05-06T09:59:59Z' })).toBe(true);
    expect(run(within, parameters, { ...base, now: '2024-05-06T10:00:00Z' })).toBe(false);
    expect(run('duration("1h") + duration("30m") == duration("90m")')).toBe(true);
    expect(
      run('timestamp("2024-01-01T00:00:00Z") - duration("24h") < timestamp("2024-01-01T00:00:00Z")'),
    ).toBe(true);
  });

  it('reads the local hour and day of week at an offset', () => {
    const parameters: ExpressionParameter[] = [
      { name: 'now', type: 'timestamp' },
      { name: 'tz', type: 'int' },
    ];
    // 2024-05-06 is a Monday.
    expect(
      run('hours(now) == 23 && dayOfWeek(now) == 0', parameters, { now: '2024-05-05T23:30:00Z', tz: 0 }),
    ).toBe(true);
    expect(
      run('hours(now, tz) == 1 && dayOfWeek(now, tz) == 1 && minutes(now, tz) == 30', parameters, {
        now: '2024-05-05T23:30:00Z',
        tz: 120,
      }),
    ).toBe(true);
    expect(run('dayOfWeek(now, tz) == 6', parameters, { now: '1970-01-03T00:00:00Z', tz: 0 })).toBe(true);
    expect(run('hours(now, tz) == 20', parameters, { now: '1969-12-31T20:00:00Z', tz: 0 })).toBe(true);
  });

  it('matches IPv4 and IPv6 addresses against CIDRs', () => {
    const parameters: ExpressionParameter[] = [
      { name: 'ip', type: 'ipaddress' },
      { name: 'cidr', type: 'string' },
    ];
    const inRange = "ipInCidr(ip, '10.20.0.0/16') || ipInCidr(ip, '2001:db8:abcd::/48')";
    expect(run(inRange, parameters, { ip: '10.20.5.6', cidr: '' })).toBe(true);
    expect(run(inRange, parameters, { ip: '10.21.0.1', cidr: '' })).toBe(false);
    expect(run(inRange, parameters, { ip: '2001:db8:abcd:12::1', cidr: '' })).toBe(true);
    expect(run(inRange, parameters, { ip: '2001:db8:abce::1', cidr: '' })).toBe(false);
    expect(run(inRange, parameters, { ip: '::ffff:10.20.0.9', cidr: '' })).toBe(true);
    expect(run('ipInCidr(ip, cidr)', parameters, { ip: '192.168.1.7', cidr: '192.168.1.0/24' })).toBe(true);
    expect(
      run("ipInCidr('8.8.8.8', '0.0.0.0/0') && ip == ipaddress('::1')", parameters, { ip: '0::1', cidr: '' }),
    ).toBe(true);
  });

  it('fails at runtime, never silently, on a bad runtime value or an overflow', () => {
    const parameters: ExpressionParameter[] = [
      { name: 'cidr', type: 'string' },
      { name: 'n', type: 'int' },
    ];
    expect(() => run("ipInCidr('10.0.0.1', cidr)", parameters, { cidr: 'nonsense', n: 0 })).toThrow(
      EvaluationFailure,
    );
    expect(() => run('n + 1 > 0', parameters, { cidr: '', n: Number.MAX_SAFE_INTEGER })).toThrow(
      EvaluationFailure,
    );
  });

  it.each([
    ['1 +', /unexpected end/],
    ['"open', /unterminated string/],
    ['x', /unknown parameter 'x'/],
    ['1 == "1"', /cannot compare int with string/],
    ['1 && true', /needs bools/],
    ['[] == []', /empty list/],
    ['[1, "a"] == [1]', /share one type/],
    ['timestamp("yesterday") == timestamp("2024-01-01T00:00:00Z")', /invalid timestamp literal/],
    ["ipInCidr('1.2.3.4', '1.2.3.4/40')", /invalid CIDR/],
    ['nope(1)', /unknown function/],
    ['hours(1)', /must be timestamp/],
    ['1 in 2', /must be a list/],
    ['1 + 2', /must be a bool/],
    ['1 # 2', /unexpected character/],
    [
      '(((((((((((((((((((((((((((((((((((((((((((((((((((true)))))))))))))))))))))))))))))))))))))))))))))))))))',
      /nested too deeply/,
    ],
  ])('rejects %s', (expression, message) => {
    expect(() => compileExpression(expression, [])).toThrow(message);
  });

  it('lists the parameters an expression reads', () => {
    const compiled = compileExpression('b > 1', [
      { name: 'a', type: 'int' },
      { name: 'b', type: 'int' },
    ]);
    expect(compiled.referenced).toEqual([1]);
  });

  it('converts JSON values by declared type', () => {
    expect(convertValue('int', 1.5).ok).toBe(false);
    expect(convertValue('double', 1.5)).toEqual({ ok: true, value: 1.5 });
    expect(convertValue('list<int>', [1, 2])).toEqual({ ok: true, value: [1, 2] });
    expect(convertValue('list<int>', [1, 'a']).ok).toBe(false);
    expect(convertValue('timestamp', 12).ok).toBe(false);
    expect(convertValue('bool', 'true').ok).toBe(false);
    expect(convertValue('ipaddress', '10.0.0.300').ok).toBe(false);
  });
});
