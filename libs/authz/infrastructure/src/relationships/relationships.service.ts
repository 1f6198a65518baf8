import {
  type RelationshipTuple,
  tuplesStream,
  type TuplesDeleted,
  type TuplesWritten,
} from '@mandate/contracts';
import { validateModel } from '@mandate/authz-domain';
import { DomainError, formatPosition, type Event } from '@mandate/kernel';
import { type ContextWriter } from '@mandate/platform';
import { type DataSource } from 'typeorm';
import { type OrgGraphs } from '../graph/org-graphs';
import { type PolicyService } from '../policy/policy.service';

const BATCH = 1_000;
/** Objects and relations the authz service keeps for itself: role assignments go through the roles API. */
const RESERVED_TYPES = ['role'];

/** The organization's relationship model and the tuples written through the API. */
export class RelationshipsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly writer: ContextWriter,
    private readonly policy: PolicyService,
    private readonly graphs: OrgGraphs,
  ) {}

  async writeModel(orgId: string, model: unknown): Promise<{ version: number; token: string }> {
    validateModel(model);
    return this.policy.writeModel(orgId, model as Record<string, unknown>);
  }

  async model(orgId: string): Promise<{ version: number; model: unknown } | null> {
    const [row] = await this.dataSource.query<{ version: number; model: unknown }[]>(
      'select version, model from authz.models where org_id = $1',
      [orgId],
    );
    return row ?? null;
  }

  /**
   * Writes and deletes tuples, validated against the current model, atomically in one event each
   * (up to 1,000 per request). Answers with the consistency token of the write.
   */
  async write(
    orgId: string,
    writes: readonly RelationshipTuple[],
    deletes: readonly RelationshipTuple[],
  ): Promise<{ token: string | null; written: number; deleted: number }> {
    if (writes.length + deletes.length > BATCH) {
      throw new DomainError('invalid', 'AUTHZ_TOO_MANY_TUPLES', `At most ${BATCH} tuples per request`);
    }
    const reserved = [...writes, ...deletes].find((tuple) =>
      RESERVED_TYPES.some((type) => tuple.object.startsWith(`${type}:`) || tuple.object.startsWith('group:')),
    );
    if (reserved) {
      throw new DomainError(
        'invalid',
        'AUTHZ_TUPLE_RESERVED',
        `${reserved.object}: role assignments go through the roles API and group members come from the directory`,
      );
    }
    const graph = await this.graphs.graph(orgId);
    graph.engine.validateTuples(writes);
    graph.engine.validateTuples(deletes.map(({ condition: _condition, ...key }) => key));
    const events: Event[] = [];
    if (writes.length > 0)
      events.push({
        type: 'authz.tuples.written',
        data: { orgId, tuples: [...writes] },
      } satisfies TuplesWritten);
    if (deletes.length > 0)
      events.push({
        type: 'authz.tuples.deleted',
        data: { orgId, tuples: [...deletes] },
      } satisfies TuplesDeleted);
    if (events.length === 0) return { token: null, written: 0, deleted: 0 };
    const position = await this.writer.append(tuplesStream(orgId), orgId, events);
    return { token: formatPosition(position), written: writes.length, deleted: deletes.length };
  }

  async read(
    orgId: string,
    filter: { object?: string | undefined; relation?: string | undefined; subject?: string | undefined },
    limit: number,
    after?: string,
  ) {
    const rows: { object: string; relation: string; subject: string; condition: unknown; origin: string }[] =
      await this.dataSource.query(
        `select object, relation, subject, condition, origin from authz.tuples where org_id = $1
           and ($2::text is null or object = $2) and ($3::text is null or relation = $3) and ($4::text is null or subject = $4)
           and (object || '#' || relation || '@' || subject) > $5
         order by object || '#' || relation || '@' || subject limit $6`,
        [
          orgId,
          filter.object ?? null,
          filter.relation ?? null,
          filter.subject ?? null,
          after ?? '',
          limit + 1,
        ],
      );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      data: page.map((row) => ({ ...row, ...(row.condition === null && { condition: undefined }) })),
      nextCursor: rows.length > limit && last ? `${last.object}#${last.relation}@${last.subject}` : null,
    };
  }
}
