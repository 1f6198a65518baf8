import { auditContext } from '@mandate/audit-infrastructure';
import { authnContext } from '@mandate/authn-infrastructure';
import { authzContext } from '@mandate/authz-infrastructure';
import { directoryContext } from '@mandate/directory-infrastructure';

/** Every context, in the order their modules are composed. */
export const allContexts = [directoryContext, authnContext, authzContext, auditContext];
