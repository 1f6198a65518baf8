import {
  BadRequestException,
  HttpException,
  NotFoundException,
  PayloadTooLargeException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { WrongExpectedRevisionError } from '@mandate/eventstore';
import { DomainError, type DomainErrorKind } from '@mandate/kernel';
import { ApiProblem, PLATFORM_PROBLEMS } from './problem';
import { toProblem } from './problem-mapping';

const context = { instance: '/api/v1/things', requestId: 'req-1' };

/** What body-parser hands to Express (an http-errors error), wrapped the way Nest's adapter does. */
const bodyParserError = (status: number, type: string, message: string): HttpException => {
  const cause = Object.assign(new SyntaxError(message), { status, statusCode: status, expose: true, type });
  return new HttpException(message, status, { cause });
};

describe('toProblem', () => {
  it('renders a platform problem with its registered status, title, extensions and headers', () => {
    const problem = toProblem(
      new ApiProblem('PLATFORM_VALIDATION_FAILED', 'The request body is not valid.', {
        extensions: { errors: [{ pointer: '#/name' }], status: 999, code: 'FORGED' },
        headers: { 'Retry-After': '1' },
      }),
      context,
    );
    expect(problem).toEqual({
      status: 400,
      body: {
        type: 'urn:mandate:problem:PLATFORM_VALIDATION_FAILED',
        title: 'Validation failed',
        status: 400,
        detail: 'The request body is not valid.',
        instance: '/api/v1/things',
        code: 'PLATFORM_VALIDATION_FAILED',
        requestId: 'req-1',
        errors: [{ pointer: '#/name' }],
      },
      headers: { 'Retry-After': '1' },
      unexpected: false,
    });
  });

  it.each<[DomainErrorKind, number]>([
    ['invalid', 400],
    ['not_found', 404],
    ['conflict', 409],
    ['forbidden', 403],
    ['precondition_failed', 412],
  ])('maps a %s domain error to %i with its own code, message and details', (kind, status) => {
    const problem = toProblem(
      new DomainError(kind, 'DIRECTORY_USER_SOMETHING', 'The user is in a state.', { userId: 'u1' }),
      context,
    );
    expect(problem.status).toBe(status);
    expect(problem.body).toMatchObject({
      status,
      code: 'DIRECTORY_USER_SOMETHING',
      type: 'urn:mandate:problem:DIRECTORY_USER_SOMETHING',
      detail: 'The user is in a state.',
      userId: 'u1',
    });
    expect(problem.unexpected).toBe(false);
  });

  it('maps a lost optimistic-concurrency race to 409 without naming the stream', () => {
    const problem = toProblem(new WrongExpectedRevisionError('directory-user-42', 3, 4), context);
    expect(problem.status).toBe(409);
    expect(problem.body.code).toBe('EVENTSTORE_WRONG_EXPECTED_REVISION');
    expect(JSON.stringify(problem.body)).not.toContain('user-42');
  });

  it('maps Nest HTTP exceptions by status, keeping client-error messages', () => {
    expect(toProblem(new NotFoundException('Cannot GET /nowhere'), context).body).toMatchObject({
      status: 404,
      code: 'PLATFORM_NOT_FOUND',
      detail: 'Cannot GET /nowhere',
    });
    expect(toProblem(new BadRequestException(['a is wrong', 'b is wrong'])).body).toMatchObject({
      code: 'PLATFORM_BAD_REQUEST',
      detail: 'a is wrong; b is wrong',
    });
    expect(toProblem(new HttpException('I am a teapot', 418)).body).toMatchObject({
      status: 418,
      code: 'PLATFORM_CLIENT_ERROR',
    });
    expect(toProblem(new PayloadTooLargeException()).body.code).toBe('PLATFORM_PAYLOAD_TOO_LARGE');
  });

  it('challenges for a bearer token on any 401', () => {
    expect(toProblem(new UnauthorizedException()).headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="mandate"',
    });
  });

  it('hides the message of a server-side HTTP exception', () => {
    const problem = toProblem(new ServiceUnavailableException('broker kafka-3 unreachable'));
    expect(problem.status).toBe(503);
    expect(problem.body.code).toBe('PLATFORM_SERVICE_UNAVAILABLE');
    expect(problem.body.detail).not.toContain('kafka-3');
    expect(problem.unexpected).toBe(true);
  });

  it('recognises body-parser errors behind the adapter’s HttpException', () => {
    expect(
      toProblem(bodyParserError(400, 'entity.parse.failed', 'Unexpected end of JSON input')).body,
    ).toMatchObject({
      status: 400,
      code: 'PLATFORM_MALFORMED_JSON',
      detail: 'The request body is not valid JSON.',
    });
    expect(
      toProblem(bodyParserError(413, 'entity.too.large', 'request entity too large')).body,
    ).toMatchObject({
      status: 413,
      code: 'PLATFORM_PAYLOAD_TOO_LARGE',
    });
    expect(
      toProblem(bodyParserError(415, 'charset.unsupported', 'unsupported charset "LATIN-9"')).body,
    ).toMatchObject({
      status: 415,
      code: 'PLATFORM_UNSUPPORTED_MEDIA_TYPE',
      detail: 'unsupported charset "LATIN-9"',
    });
  });

  it('turns anything else into a 500 that reveals nothing', () => {
    const problem = toProblem(
      new TypeError("Cannot read properties of undefined (reading 'password')"),
      context,
    );
    expect(problem).toEqual({
      status: 500,
      body: {
        type: 'urn:mandate:problem:PLATFORM_INTERNAL_ERROR',
        title: 'Internal error',
        status: 500,
        detail: 'The server could not complete the request.',
        instance: '/api/v1/things',
        code: 'PLATFORM_INTERNAL_ERROR',
        requestId: 'req-1',
      },
      headers: {},
      unexpected: true,
    });
    expect(toProblem('a thrown string').status).toBe(500);
  });
});

describe('the platform code registry', () => {
  it('uses PLATFORM_ SCREAMING_SNAKE codes, each with an error status', () => {
    for (const [code, { status }] of Object.entries(PLATFORM_PROBLEMS)) {
      expect(code).toMatch(/^PLATFORM_[A-Z0-9]+(_[A-Z0-9]+)*$/);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });
});
