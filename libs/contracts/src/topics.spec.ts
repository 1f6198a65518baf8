import { contextOf, deadLetterTopicFor, isContext, topicFor } from './topics';

describe('topics', () => {
  it('names one versioned topic per context and a dead-letter topic beside it', () => {
    expect(topicFor('directory')).toBe('mandate.directory.events.v1');
    expect(topicFor('authz')).toBe('mandate.authz.events.v1');
    expect(deadLetterTopicFor(topicFor('audit'))).toBe('mandate.audit.events.v1.dlq');
  });

  it('reads the context of an event type from its prefix before the first dot', () => {
    expect(contextOf('directory.user.provisioned')).toBe('directory');
    expect(contextOf('authn.grant.revoked')).toBe('authn');
    expect(contextOf('billing.invoice.paid')).toBeNull();
    expect(contextOf('directory')).toBeNull();
    expect(contextOf('.directory.user')).toBeNull();
    expect(contextOf('directoryx.user.provisioned')).toBeNull();
  });

  it('knows exactly the four contexts', () => {
    expect(['directory', 'authn', 'authz', 'audit'].every(isContext)).toBe(true);
    expect(isContext('messaging')).toBe(false);
  });
});
