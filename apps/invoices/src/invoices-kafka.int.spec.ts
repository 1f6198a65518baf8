import { topicFor } from '@mandate/contracts';
import { grantRevoked, TestIssuer, toKafkaMessage, uniqueName, waitUntil } from '@mandate/sdk/testing';
import { describeWithServices } from '@mandate/testing';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { type InvoicesService, startInvoicesService } from './start-invoices-service';

jest.setTimeout(90_000);

describeWithServices(
  ['kafka'],
  'the invoices service following revocations on Kafka',
  ({ kafka: brokers }) => {
    const topicPrefix = `${uniqueName('invoices')}.`;
    const kafka = new Kafka({
      clientId: 'invoices-tests',
      brokers: brokers.split(','),
      logLevel: logLevel.NOTHING,
    });
    let producer: Producer;
    let issuer: TestIssuer;
    let service: InvoicesService;

    beforeAll(async () => {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: `${topicPrefix}${topicFor('authn')}`, numPartitions: 3, replicationFactor: 1 }],
      });
      await admin.disconnect();
      producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      issuer = await TestIssuer.start();
      service = await startInvoicesService({
        issuer: issuer.issuer,
        revocations: { over: 'kafka', brokers: brokers.split(','), topicPrefix },
        readyTimeoutMs: 60_000,
      });
    });
    afterAll(async () => {
      await service?.close();
      await producer?.disconnect();
      await issuer?.close();
    });

    it('refuses a live token once authn.grant.revoked of its grant is on the topic', async () => {
      const orgId = 'org_01jqk6ry4b0000000000000acm';
      const grantId = 'grt_01jqk6ry4b00000000kafkaleaver';
      const bearer = await issuer.sign({
        aud: service.audience,
        org_id: orgId,
        grant_id: grantId,
        scope: 'invoices:read',
      });
      const list = async () =>
        (await fetch(`${service.url}/invoices`, { headers: { authorization: `Bearer ${bearer}` } })).status;
      expect(await list()).toBe(200);

      await producer.send({
        topic: `${topicPrefix}${topicFor('authn')}`,
        acks: -1,
        messages: [toKafkaMessage(grantRevoked(grantId, { orgId }))],
      });

      await waitUntil(async () => (await list()) === 401, { timeoutMs: 30_000, what: 'the refusal' });
    });
  },
);
