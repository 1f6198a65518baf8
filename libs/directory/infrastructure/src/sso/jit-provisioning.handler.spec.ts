import { type IdentityProvisioningRequested } from '@mandate/contracts';
import { DomainError, type RecordedEvent } from '@mandate/kernel';
import { type DirectoryWriter } from '../persistence/directory-writer';
import { jitDirectoryId, JitProvisioningConsumer } from './jit-provisioning.handler';

const orgId = 'org_01jqk6ry4b000000000000000a';
const connectionId = 'con_01jqk6ry4b00000000000000c1';
const userId = 'usr_01jqk6ry4b00000000000000u1';

const request = (overrides: Partial<IdentityProvisioningRequested['data']> = {}): RecordedEvent =>
  ({
    id: '01963c5e-0000-7000-8000-000000000001',
    type: 'authn.identity.provisioning_requested',
    schemaVersion: 1,
    orgId,
    stream: `identity-${connectionId}-x`,
    streamRevision: 0,
    position: { commit: 1n, prepare: 1n },
    occurredAt: new Date('2026-12-02T10:00:00Z'),
    actor: { type: 'system', id: 'authn' },
    causationId: null,
    correlationId: '01963c5e-0000-7000-8000-00000000c0c0',
    data: {
      orgId,
      connectionId,
      connectionName: 'Okta',
      subject: '00u1ada',
      userId,
      userName: 'ada@acme.example',
      email: 'ada@acme.example',
      givenName: 'Ada',
      familyName: 'Lovelace',
      displayName: null,
      requestedAt: '2026-12-02T10:00:00.000Z',
      ...overrides,
    },
  }) as unknown as RecordedEvent;

interface Written {
  readonly stream: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly cause: unknown;
}

/** A directory writer that records commands, and refuses a stream written before as the deciders do. */
const recordingWriter = () => {
  const written: Written[] = [];
  const streams = new Set<string>();
  const writer = {
    handlerFor:
      () =>
      (
        stream: string,
        _orgId: string,
        type: string,
        data: Record<string, unknown>,
        options: { cause?: unknown },
      ) => {
        if (streams.has(stream))
          throw new DomainError(
            'conflict',
            type === 'CreateDirectory' ? 'DIRECTORY_DIRECTORY_EXISTS' : 'DIRECTORY_USER_EXISTS',
            'exists',
          );
        streams.add(stream);
        written.push({ stream, type, data, cause: options.cause });
        return Promise.resolve({});
      },
  } as unknown as DirectoryWriter;
  return { writer, written };
};

describe('the directory provisioning a just-in-time user for authn', () => {
  it("creates the connection's JIT directory and the user with the id authn chose, caused by the request", async () => {
    const { writer, written } = recordingWriter();
    await new JitProvisioningConsumer(writer).handle(request());
    expect(written.map(({ stream, type }) => [stream, type])).toEqual([
      [`directory-${jitDirectoryId(connectionId)}`, 'CreateDirectory'],
      [`user-${userId}`, 'ProvisionUser'],
    ]);
    expect(jitDirectoryId(connectionId)).toBe('dir_01jqk6ry4b00000000000000c1');
    expect(written[1]!.data).toMatchObject({
      directoryId: jitDirectoryId(connectionId),
      userId,
      externalId: '00u1ada',
      userName: 'ada@acme.example',
      active: true,
      source: 'system',
      profile: { email: 'ada@acme.example', givenName: 'Ada', familyName: 'Lovelace', department: null },
    });
    expect(written[1]!.cause).toMatchObject({
      actor: { type: 'system', id: 'directory' },
      causationId: '01963c5e-0000-7000-8000-000000000001',
      correlationId: '01963c5e-0000-7000-8000-00000000c0c0',
    });
  });

  it('changes nothing on redelivery, and a second user reuses the directory', async () => {
    const { writer, written } = recordingWriter();
    const consumer = new JitProvisioningConsumer(writer);
    await consumer.handle(request());
    await consumer.handle(request());
    await consumer.handle(request({ userId: 'usr_01jqk6ry4b00000000000000u2', subject: '00u2bob' }));
    expect(written.map(({ type }) => type)).toEqual(['CreateDirectory', 'ProvisionUser', 'ProvisionUser']);
  });

  it("names the user by the IdP's subject when another identity holds the user name", async () => {
    const { writer, written } = recordingWriter();
    const taken = {
      handlerFor: (...args: unknown[]) => {
        const handle = (writer.handlerFor as (...a: unknown[]) => (...b: unknown[]) => Promise<unknown>)(
          ...args,
        );
        return (
          stream: string,
          orgId: string,
          type: string,
          data: Record<string, unknown>,
          options: object,
        ) =>
          type === 'ProvisionUser' && data['userName'] === 'ada@acme.example'
            ? Promise.reject(new DomainError('conflict', 'DIRECTORY_VALUE_TAKEN', 'taken'))
            : handle(stream, orgId, type, data, options);
      },
    } as unknown as DirectoryWriter;
    await new JitProvisioningConsumer(taken).handle(request());
    expect(written.at(-1)!.data).toMatchObject({ userId, userName: '00u1ada', externalId: '00u1ada' });
  });

  it('lets other refusals through, so the delivery is retried or parked', async () => {
    const writer = {
      handlerFor: () => () =>
        Promise.reject(new DomainError('invalid', 'DIRECTORY_USER_NAME_INVALID', 'bad')),
    } as unknown as DirectoryWriter;
    await expect(new JitProvisioningConsumer(writer).handle(request())).rejects.toMatchObject({
      code: 'DIRECTORY_USER_NAME_INVALID',
    });
  });
});
