import { type UserProfile } from '@mandate/contracts';
import { uuidv7 } from '@mandate/eventstore';
import { type DataSource } from 'typeorm';
import { type DirectoryRow, hrisProviderOf } from '../directories/directories.service';
import {
  type HrisChange,
  type HrisDelivery,
  type HrisVerificationFailure,
  HrisPayloadError,
  hrisProviders,
} from '../hris';
import { type WriteCause } from '../persistence/directory-writer';
import { type SecretBox } from '@mandate/platform';
import { type ResourceRow, type ResourcesRepository } from '../resources/resources.repository';
import {
  CORE_USER_SCHEMA,
  ENTERPRISE_USER_SCHEMA,
  profileOf,
  withWorkerFields,
} from '../resources/user-profile';
import { type UsersService } from '../resources/users.service';

interface Logger {
  error(message: unknown): void;
  warn(message: unknown): void;
}

/** A delivery was refused before anything was stored. */
export class HrisDeliveryRefused extends Error {
  constructor(
    readonly status: 401 | 404,
    readonly code: HrisVerificationFailure | 'HRIS_DIRECTORY_NOT_FOUND',
    message: string,
  ) {
    super(message);
  }
}

export interface AcceptedDelivery {
  readonly id: string;
  readonly deliveryId: string;
  /** False when this delivery had been received before (a retry): it is not processed twice. */
  readonly first: boolean;
}

interface DeliveryRow {
  id: string;
  delivery_id: string;
  directory_id: string;
  org_id: string;
  provider: string;
  body: Buffer;
  attempts: number;
}

const MAX_ATTEMPTS = 10;

/** Date-only effective dates take effect at the start of that day (UTC). */
const effectiveInstant = (effectiveDate: string | null): Date | undefined => {
  if (effectiveDate === null) return undefined;
  const instant = new Date(
    /^\d{4}-\d{2}-\d{2}$/.test(effectiveDate) ? `${effectiveDate}T00:00:00Z` : effectiveDate,
  );
  return Number.isNaN(instant.getTime()) ? undefined : instant;
};

/**
 * Webhooks from HR systems: each delivery is authenticated on its raw bytes, stored durably
 * (the raw body) before it is acknowledged, then turned into lifecycle commands — the same ones
 * SCIM drives — by a processor that survives restarts (pending deliveries are picked up again).
 *
 * Precedence when an HRIS feeds a SCIM directory (`linkedDirectoryId`): workers are matched to
 * users by employee number; the HRIS owns employment status (hire, leave, return, termination,
 * including terminations dated ahead) and employment attributes (title, department, division,
 * cost center, manager), the IdP owns identity (userName, names, emails). The latest lifecycle
 * change wins whichever source made it; a worker the IdP has not provisioned is not created.
 */
export class HrisInbox {
  private processing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly secrets: SecretBox,
    private readonly users: UsersService,
    private readonly resources: ResourcesRepository,
    private readonly clock: () => Date,
    private readonly logger: Logger,
  ) {}

  start(intervalMs = 2_000): void {
    this.kick();
    this.timer = setInterval(() => this.kick(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.processing;
  }

  /** Authenticates and stores one delivery; resolves once it is durable. */
  async receive(
    path: { provider: string; directoryId: string },
    delivery: HrisDelivery,
  ): Promise<AcceptedDelivery> {
    const directory = await this.directory(path.directoryId);
    const provider = directory ? hrisProviderOf(directory.provider) : null;
    if (!directory || provider === null || provider !== path.provider || directory.signing_secret === null) {
      throw new HrisDeliveryRefused(
        404,
        'HRIS_DIRECTORY_NOT_FOUND',
        'No HRIS directory of this provider has this id',
      );
    }
    const secret = this.secrets.open(directory.signing_secret, directory.directory_id);
    const verification = hrisProviders[provider].verify(delivery, secret, { now: this.clock() });
    if (!verification.ok) {
      throw new HrisDeliveryRefused(
        401,
        verification.reason,
        `The delivery is not authentic: ${verification.reason}`,
      );
    }
    const id = uuidv7();
    const headers = Object.fromEntries(
      Object.entries(delivery.headers).filter(([name]) => !['authorization', 'cookie'].includes(name)),
    );
    const inserted: { id: string }[] = await this.dataSource.query(
      `insert into directory.hris_deliveries
         (id, delivery_id, directory_id, org_id, provider, received_at, headers, body, status)
       values ($1, $2, $3, $4, $5, $6, $7, $8, 'pending')
       on conflict (directory_id, delivery_id) do nothing returning id`,
      [
        id,
        verification.deliveryId,
        directory.directory_id,
        directory.org_id,
        provider,
        delivery.receivedAt,
        JSON.stringify(headers),
        delivery.rawBody,
      ],
    );
    if (inserted.length > 0) {
      this.kick();
      return { id, deliveryId: verification.deliveryId, first: true };
    }
    const [stored] = await this.dataSource.query<{ id: string }[]>(
      'select id from directory.hris_deliveries where directory_id = $1 and delivery_id = $2',
      [directory.directory_id, verification.deliveryId],
    );
    return { id: stored!.id, deliveryId: verification.deliveryId, first: false };
  }

  /** The state of one delivery, for the management API and tests. */
  async delivery(directoryId: string, id: string) {
    const rows: {
      id: string;
      delivery_id: string;
      status: string;
      error: string | null;
      received_at: Date;
    }[] = await this.dataSource.query(
      'select id, delivery_id, status, error, received_at from directory.hris_deliveries where directory_id = $1 and id = $2',
      [directoryId, id],
    );
    return rows[0] ?? null;
  }

  /** Processes every pending delivery, oldest first; resolves when none is left. */
  processPending(): Promise<void> {
    this.kick();
    return this.processing;
  }

  private kick(): void {
    this.processing = this.processing
      .then(() => this.drain())
      .catch((error: unknown) => this.logger.error({ msg: 'processing HRIS deliveries failed', err: error }));
  }

  private async drain(): Promise<void> {
    for (;;) {
      const pending: DeliveryRow[] = await this.dataSource.query(
        `select id, delivery_id, directory_id, org_id, provider, body, attempts from directory.hris_deliveries
         where status = 'pending' order by received_at, id limit 50`,
      );
      if (pending.length === 0) return;
      for (const delivery of pending) await this.process(delivery);
    }
  }

  private async process(delivery: DeliveryRow): Promise<void> {
    const provider = delivery.provider as keyof typeof hrisProviders;
    try {
      const changes = hrisProviders[provider].parse(delivery.body);
      const directory = await this.directory(delivery.directory_id);
      if (!directory) throw new HrisPayloadError(provider, ['the directory was deleted']);
      const cause: WriteCause = {
        actor: { type: 'directory', id: directory.directory_id, via: `hris:${provider}` },
        correlationId: delivery.id,
        causationId: null,
      };
      for (const change of changes) await this.apply(directory, change, cause);
      await this.finish(delivery.id, 'processed', null);
    } catch (error) {
      if (error instanceof HrisPayloadError || delivery.attempts + 1 >= MAX_ATTEMPTS) {
        await this.finish(delivery.id, 'failed', error instanceof Error ? error.message : String(error));
        this.logger.warn({ msg: 'HRIS delivery failed', deliveryId: delivery.id, err: error });
        return;
      }
      await this.dataSource.query(
        'update directory.hris_deliveries set attempts = attempts + 1 where id = $1',
        [delivery.id],
      );
      throw error;
    }
  }

  private finish(id: string, status: 'processed' | 'failed', error: string | null) {
    return this.dataSource.query(
      `update directory.hris_deliveries set status = $2, error = $3, processed_at = $4, attempts = attempts + 1
       where id = $1`,
      [id, status, error, this.clock()],
    );
  }

  private async apply(directory: DirectoryRow, change: HrisChange, cause: WriteCause): Promise<void> {
    if (!(await this.isNewer(directory.directory_id, change))) return;
    const linked = directory.linked_directory_id;
    const targetDirectory = linked ?? directory.directory_id;
    const existing = linked
      ? await this.findByEmployeeNumber(linked, change.profile.employeeNumber ?? change.employeeId)
      : await this.resources.findByExternalId(directory.directory_id, 'User', change.employeeId);
    const orgId = directory.org_id;
    const effectiveAt = effectiveInstant(change.effectiveDate);
    const scope = linked ? 'employment' : 'all';
    const options = { cause };

    const snapshotOf = (row: ResourceRow | null, active: boolean) => {
      const base = row?.doc ?? {
        schemas: [CORE_USER_SCHEMA],
        userName: change.profile.userName ?? change.profile.email ?? change.employeeId,
        externalId: change.employeeId,
      };
      const { id: _id, ...doc } = withWorkerFields(base, change.profile, scope);
      const resource: Record<string, unknown> = { ...doc, active };
      return {
        externalId: row ? row.external_id : change.employeeId,
        userName: String(resource['userName']),
        active,
        profile: profileOf(resource) satisfies UserProfile,
        resource,
      };
    };

    switch (change.kind) {
      case 'hire':
      case 'rehire':
      case 'update': {
        if (!existing) {
          if (linked) return;
          await this.users.provision({ orgId, directoryId: targetDirectory }, snapshotOf(null, true), 'hris');
          return;
        }
        const reactivate =
          change.kind !== 'update' && (effectiveAt === undefined || effectiveAt <= this.clock());
        await this.users.change(
          orgId,
          existing.id,
          snapshotOf(existing, reactivate || existing.active),
          'hris',
          options,
        );
        return;
      }
      case 'leave_of_absence':
      case 'termination': {
        if (!existing) return;
        await this.users.deactivate(
          orgId,
          existing.id,
          {
            source: 'hris',
            reason: change.kind === 'termination' ? 'terminated' : 'leave_of_absence',
            ...(effectiveAt && { effectiveAt }),
          },
          options,
        );
        return;
      }
      case 'return_from_leave': {
        if (!existing) return;
        await this.users.reactivate(orgId, existing.id, 'hris', {
          ...options,
          onlyIfDeactivatedFor: 'leave_of_absence',
        });
        return;
      }
    }
  }

  /** Last writer wins by the provider's own timestamp: an older change arriving late is ignored. */
  private async isNewer(directoryId: string, change: HrisChange): Promise<boolean> {
    if (change.sourceUpdatedAt === null) return true;
    const rows: unknown[] = await this.dataSource.query(
      `insert into directory.hris_workers (directory_id, employee_id, source_updated_at) values ($1, $2, $3)
       on conflict (directory_id, employee_id) do update set source_updated_at = excluded.source_updated_at
         where hris_workers.source_updated_at is null or hris_workers.source_updated_at <= excluded.source_updated_at
       returning employee_id`,
      [directoryId, change.employeeId, change.sourceUpdatedAt],
    );
    return rows.length > 0;
  }

  private async findByEmployeeNumber(
    directoryId: string,
    employeeNumber: string,
  ): Promise<ResourceRow | null> {
    const rows: ResourceRow[] = await this.dataSource.query(
      `select * from directory.resources
       where directory_id = $1 and resource_type = 'User' and deleted_at is null
         and doc -> $2 ->> 'employeeNumber' = $3`,
      [directoryId, ENTERPRISE_USER_SCHEMA, employeeNumber],
    );
    return rows[0] ?? null;
  }

  private async directory(directoryId: string): Promise<DirectoryRow | null> {
    const rows: DirectoryRow[] = await this.dataSource.query(
      "select * from directory.directories where directory_id = $1 and status = 'active' and kind = 'hris'",
      [directoryId],
    );
    return rows[0] ?? null;
  }
}
