import { organizationStream } from '@mandate/contracts';
import { normalizeDomain, type Organization, organizationDecider } from '@mandate/directory-domain';
import { DomainError } from '@mandate/kernel';
import { randomBytes } from 'node:crypto';
import { resolveTxt } from 'node:dns/promises';
import { type DataSource } from 'typeorm';
import { type DirectoryWriter } from '../persistence/directory-writer';
import { type Reservation, ReservationTakenError } from '../persistence/reservations';

/** Looks up the TXT records of a DNS name: a real resolver in production, a table in tests. */
export interface DomainResolver {
  txtRecords(name: string): Promise<string[]>;
}

export const DOMAIN_RESOLVER = Symbol('DOMAIN_RESOLVER');

/** The system resolver. A name that does not exist has no records; any other failure is an error. */
export const dnsDomainResolver: DomainResolver = {
  async txtRecords(name) {
    try {
      return (await resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
      throw new DomainError(
        'precondition_failed',
        'DIRECTORY_DNS_LOOKUP_FAILED',
        `Looking up ${name} failed (${code ?? 'error'})`,
      );
    }
  },
};

/** Where the proof of ownership goes: a TXT record on this name. */
export const verificationRecordName = (domain: string): string => `_mandate-verification.${domain}`;

const VERIFIED_DOMAIN_SCOPE = 'verified_domain';

/** A verified domain belongs to one organization only: the reservation makes the second verification fail. */
const verifiedDomains = (state: Organization): Reservation[] =>
  state.status === 'active'
    ? [...state.domains]
        .filter(([, domain]) => domain.verified)
        .map(([key]) => ({ scope: VERIFIED_DOMAIN_SCOPE, key }))
    : [];

export interface DomainView {
  readonly domain: string;
  readonly status: 'pending' | 'verified';
  /** Publish this TXT record to prove the organization owns the domain. */
  readonly verification: { readonly type: 'TXT'; readonly name: string; readonly value: string };
  readonly verifiedAt: string | null;
  readonly createdAt: string;
}

interface DomainRow {
  domain: string;
  verification_token: string;
  verified_at: Date | null;
  created_at: Date;
}

const toView = (row: DomainRow): DomainView => ({
  domain: row.domain,
  status: row.verified_at ? 'verified' : 'pending',
  verification: { type: 'TXT', name: verificationRecordName(row.domain), value: row.verification_token },
  verifiedAt: row.verified_at?.toISOString() ?? null,
  createdAt: row.created_at.toISOString(),
});

export class DomainsService {
  private readonly execute;

  constructor(
    private readonly dataSource: DataSource,
    writer: DirectoryWriter,
    private readonly resolver: DomainResolver,
  ) {
    this.execute = writer.handlerFor(organizationDecider, verifiedDomains);
  }

  async add(orgId: string, domain: string): Promise<DomainView> {
    const normalized = normalizeDomain(domain);
    await this.execute(organizationStream(orgId), orgId, 'AddDomain', {
      domain: normalized,
      verificationToken: `mandate-verification=${randomBytes(18).toString('base64url')}`,
    });
    return this.get(orgId, normalized);
  }

  async verify(orgId: string, domain: string): Promise<DomainView> {
    const normalized = normalizeDomain(domain);
    await this.get(orgId, normalized);
    const txtRecords = await this.resolver.txtRecords(verificationRecordName(normalized));
    try {
      await this.execute(organizationStream(orgId), orgId, 'VerifyDomain', {
        domain: normalized,
        txtRecords,
      });
    } catch (error) {
      if (error instanceof ReservationTakenError) {
        throw new DomainError(
          'conflict',
          'DIRECTORY_DOMAIN_CLAIMED',
          `${normalized} is verified by another organization already`,
        );
      }
      throw error;
    }
    return this.get(orgId, normalized);
  }

  async remove(orgId: string, domain: string): Promise<void> {
    const normalized = normalizeDomain(domain);
    await this.execute(organizationStream(orgId), orgId, 'RemoveDomain', { domain: normalized });
  }

  async list(orgId: string): Promise<DomainView[]> {
    const rows: DomainRow[] = await this.dataSource.query(
      'select * from directory.domains where org_id = $1 order by domain',
      [orgId],
    );
    return rows.map(toView);
  }

  async get(orgId: string, domain: string): Promise<DomainView> {
    const rows: DomainRow[] = await this.dataSource.query(
      'select * from directory.domains where org_id = $1 and domain = $2',
      [orgId, domain],
    );
    if (!rows[0]) {
      throw new DomainError(
        'not_found',
        'DIRECTORY_DOMAIN_NOT_FOUND',
        `The organization has no domain ${domain}`,
      );
    }
    return toView(rows[0]);
  }

  /** The organization that verified `domain`, for home-realm discovery. */
  async organizationOf(domain: string): Promise<string | null> {
    const rows: { org_id: string }[] = await this.dataSource.query(
      'select org_id from directory.domains where domain = $1 and verified_at is not null',
      [domain.toLowerCase()],
    );
    return rows[0]?.org_id ?? null;
  }
}
