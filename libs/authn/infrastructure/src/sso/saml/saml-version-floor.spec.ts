import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * DEP-1 (security-tests §0): the SAML / JOSE packages installed anywhere in the tree — transitive
 * copies included — are at or above the versions that fixed the advisories the SP relies on.
 */
type Version = readonly [number, number, number, boolean];

interface Floor {
  readonly name: string;
  /** Why, for the failure message. */
  readonly why: string;
  readonly accepts: (version: Version) => boolean;
  readonly expected: string;
}

const parseVersion = (raw: string): Version | null => {
  const match = /^(\d+)\.(\d+)\.(\d+)(-[0-9A-Za-z.-]+)?(\+.*)?$/.exec(raw);
  if (!match) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3]), match[4] !== undefined];
};

/** `version` ≥ `floor`; a pre-release sorts below its release. */
const atLeast = (version: Version, floor: string): boolean => {
  const minimum = parseVersion(floor)!;
  for (let i = 0; i < 3; i++)
    if (version[i] !== minimum[i]) return (version[i] as number) > (minimum[i] as number);
  return !version[3];
};

const floor = (name: string, minimum: string, why: string): Floor => ({
  name,
  why,
  expected: `>= ${minimum}`,
  accepts: (version) => atLeast(version, minimum),
});

const FLOORS: readonly Floor[] = [
  floor(
    '@node-saml/node-saml',
    '5.1.0',
    'CVE-2025-54419 / CVE-2025-54369: assertion read from the unsigned document',
  ),
  floor('@node-saml/passport-saml', '5.1.0', 'pulls node-saml 5.1.0'),
  floor('xml-crypto', '6.1.2', 'CVE-2025-29774/29775, CVE-2024-32962; getSignedReferences()'),
  {
    name: '@xmldom/xmldom',
    why: 'CVE-2026-34601, CVE-2026-41672, CVE-2026-41673, GHSA-4w3w-2rp5-g8jm',
    expected: '>= 0.8.15 on 0.8.x, or >= 0.9.10',
    accepts: (version) =>
      version[0] === 0 && version[1] === 8 ? atLeast(version, '0.8.15') : atLeast(version, '0.9.10'),
  },
  floor('samlify', '2.13.0', 'CVE-2025-47949 XSW, CVE-2026-46490 AttributeValue injection'),
  floor('jose', '6.0.0', 'CVE-2022-36083 PBES2 p2c DoS, CVE-2024-28176 JWE decompression bomb'),
  floor('jsonwebtoken', '9.0.0', 'CVE-2022-23540 / CVE-2022-23541'),
  floor('fast-jwt', '6.3.0', 'CVE-2023-48223 and its incomplete fixes'),
];

/** Deprecated packages every advisory lists as affected at all versions. */
const FORBIDDEN: ReadonlyMap<string, string> = new Map([
  ['passport-saml', 'deprecated; use @node-saml/passport-saml'],
  ['node-saml', 'deprecated; use @node-saml/node-saml'],
]);

interface Lockfile {
  readonly packages?: Record<string, { readonly version?: string; readonly link?: boolean }>;
}

/** Every violation in a package-lock.json (v2/v3 `packages` map), naming the offending install path. */
const versionFloorViolations = (lockfile: Lockfile): string[] => {
  const violations: string[] = [];
  for (const [path, entry] of Object.entries(lockfile.packages ?? {})) {
    if (!path.includes('node_modules/') || entry.link) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const forbidden = FORBIDDEN.get(name);
    if (forbidden) {
      violations.push(`${path}: ${name} must not be installed (${forbidden})`);
      continue;
    }
    const rule = FLOORS.find((candidate) => candidate.name === name);
    if (!rule) continue;
    const version = entry.version === undefined ? null : parseVersion(entry.version);
    if (!version)
      violations.push(`${path}: unreadable version ${entry.version ?? '(none)'}, expected ${rule.expected}`);
    else if (!rule.accepts(version))
      violations.push(`${path}: ${name}@${entry.version} is below ${rule.expected} (${rule.why})`);
  }
  return violations;
};

describe('dependency version floor (DEP-1)', () => {
  it('holds for every package installed by the repository lockfile', () => {
    const lockfile = JSON.parse(
      readFileSync(join(__dirname, '../../../../../../package-lock.json'), 'utf8'),
    ) as Lockfile;
    expect(
      Object.keys(lockfile.packages ?? {}).some((path) => path.endsWith('node_modules/@node-saml/node-saml')),
    ).toBe(true);
    expect(versionFloorViolations(lockfile)).toEqual([]);
  });

  it('names the install path of each offending package, transitive copies included', () => {
    const lockfile: Lockfile = {
      packages: {
        '': { version: '0.0.0' },
        'node_modules/@node-saml/node-saml': { version: '5.0.1' },
        'node_modules/@node-saml/passport-saml/node_modules/@node-saml/node-saml': {
          version: '5.1.0-beta.1',
        },
        'node_modules/xml-crypto': { version: '6.1.1' },
        'node_modules/@xmldom/xmldom': { version: '0.8.14' },
        'node_modules/samlify/node_modules/@xmldom/xmldom': { version: '0.9.9' },
        'node_modules/samlify': { version: '2.12.9' },
        'node_modules/jose': { version: '5.9.6' },
        'node_modules/passport-saml': { version: '3.2.4' },
        'node_modules/some-lib/node_modules/node-saml': { version: '4.0.0' },
      },
    };
    expect(versionFloorViolations(lockfile)).toEqual([
      expect.stringMatching(
        /^node_modules\/@node-saml\/node-saml: @node-saml\/node-saml@5\.0\.1 is below >= 5\.1\.0/,
      ),
      expect.stringMatching(
        /^node_modules\/@node-saml\/passport-saml\/node_modules\/@node-saml\/node-saml: .*5\.1\.0-beta\.1/,
      ),
      expect.stringMatching(/^node_modules\/xml-crypto: xml-crypto@6\.1\.1 is below >= 6\.1\.2/),
      expect.stringMatching(/^node_modules\/@xmldom\/xmldom: @xmldom\/xmldom@0\.8\.14/),
      expect.stringMatching(/^node_modules\/samlify\/node_modules\/@xmldom\/xmldom: @xmldom\/xmldom@0\.9\.9/),
      expect.stringMatching(/^node_modules\/samlify: samlify@2\.12\.9/),
      expect.stringMatching(/^node_modules\/jose: jose@5\.9\.6/),
      'node_modules/passport-saml: passport-saml must not be installed (deprecated; use @node-saml/passport-saml)',
      'node_modules/some-lib/node_modules/node-saml: node-saml must not be installed (deprecated; use @node-saml/node-saml)',
    ]);
  });

  it('accepts the floors themselves and the later lines', () => {
    const lockfile: Lockfile = {
      packages: {
        'node_modules/@node-saml/node-saml': { version: '5.1.0' },
        'node_modules/xml-crypto': { version: '7.0.0' },
        'node_modules/@xmldom/xmldom': { version: '0.8.15' },
        'node_modules/a/node_modules/@xmldom/xmldom': { version: '0.9.10' },
        'node_modules/samlify': { version: '2.13.0' },
        'node_modules/jose': { version: '6.0.0' },
      },
    };
    expect(versionFloorViolations(lockfile)).toEqual([]);
  });
});
