import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// Loading any of these fails the test: the entry points under test must not need them.
jest.mock('kafkajs', () => {
  throw new Error('kafkajs was loaded');
});
jest.mock('@nestjs/common', () => {
  throw new Error('@nestjs/common was loaded');
});
jest.mock('@nestjs/core', () => {
  throw new Error('@nestjs/core was loaded');
});
jest.mock('express', () => {
  throw new Error('express was loaded');
});

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );

describe('the package', () => {
  it('main entry point loads without kafkajs, Nest or Express', () => {
    jest.isolateModules(() => {
      expect(Object.keys(jest.requireActual<object>('./index'))).toEqual(
        expect.arrayContaining([
          'createTokenVerifier',
          'followRevocationsOverHttp',
          'createAuthorizer',
          'staticRevocations',
        ]),
      );
    });
  });

  it('the guards work: the Nest entry point does load Nest', () => {
    jest.isolateModules(() => {
      expect(() => jest.requireActual<object>('./nest')).toThrow('@nestjs/common was loaded');
    });
  });

  it('Express entry point loads without Nest or kafkajs', () => {
    jest.isolateModules(() => {
      expect(Object.keys(jest.requireActual<object>('./express'))).toContain('mandateAuth');
    });
  });

  it('imports no Mandate library but the contracts (tests may use @mandate/testing)', () => {
    const offenders = sources(__dirname).flatMap((file) => {
      const imports = [...readFileSync(file, 'utf8').matchAll(/from '(@mandate\/[^']+)'/g)].map(
        (match) => match[1]!,
      );
      const allowed = file.endsWith('.spec.ts')
        ? ['@mandate/contracts', '@mandate/testing']
        : ['@mandate/contracts'];
      return imports
        .filter((name) => !allowed.includes(name))
        .map((name) => `${relative(__dirname, file)}: ${name}`);
    });
    expect(offenders).toEqual([]);
  });

  it('imports kafkajs, Nest and Express only in their own entry points', () => {
    const offenders = sources(__dirname)
      .filter((file) => !file.endsWith('.spec.ts'))
      .flatMap((file) => {
        const where = relative(__dirname, file);
        const text = readFileSync(file, 'utf8');
        return [
          ...(/from 'kafkajs'/.test(text) && !where.startsWith('kafka/') ? [`${where}: kafkajs`] : []),
          ...(/from '@nestjs\//.test(text) && !where.startsWith('nest/') ? [`${where}: @nestjs`] : []),
          ...(/from 'express'/.test(text) && !where.startsWith('express/') ? [`${where}: express`] : []),
        ];
      });
    expect(offenders).toEqual([]);
  });
});
