import { AsyncLocalStorage } from 'node:async_hooks';
import { type Principal } from '../auth/principal';

/** What the platform knows about the request being handled, available anywhere down its call chain. */
export interface RequestContext {
  /** This request's id (`x-request-id`, or generated): the causation id of events it appends. */
  readonly requestId: string;
  /** The story this request belongs to (`x-correlation-id`, or the request id when it starts one). */
  readonly correlationId: string;
  /** The authenticated caller, once the auth guard has run; null on unauthenticated routes. */
  readonly principal: Principal | null;
}

interface MutableRequestContext {
  readonly requestId: string;
  readonly correlationId: string;
  principal: Principal | null;
}

const storage = new AsyncLocalStorage<MutableRequestContext>();

/** The context of the request being handled, or undefined outside one. */
export const currentRequestContext = (): RequestContext | undefined => storage.getStore();

/**
 * Runs `fn` inside a request context, e.g. a consumer handling an event, so that logs and the events it
 * appends carry the ids: pass the consumed event's id as `requestId` and its `correlationId` along.
 */
export const runWithRequestContext = <T>(
  context: {
    readonly requestId: string;
    readonly correlationId?: string;
    readonly principal?: Principal | null;
  },
  fn: () => T,
): T =>
  storage.run(
    {
      requestId: context.requestId,
      correlationId: context.correlationId ?? context.requestId,
      principal: context.principal ?? null,
    },
    fn,
  );

/** @internal Enters an existing context object (the HTTP middleware keeps one per request). */
export const enterRequestContext = <T>(context: RequestContext, fn: () => T): T => storage.run(context, fn);

/** @internal Creates the mutable context the HTTP layer fills in as the request proceeds. */
export const newRequestContext = (requestId: string, correlationId: string): RequestContext => ({
  requestId,
  correlationId,
  principal: null,
});

/** Records the authenticated caller on a request's context (routes that authenticate themselves, like SCIM). */
export const setContextPrincipal = (context: RequestContext, principal: Principal): void => {
  (context as MutableRequestContext).principal = principal;
};
