/**
 * The operator command's endpoints: the deployed control function over a mocked Lambda client
 * (request shape, function errors, SDK errors mapped), and the sandbox's on loopback only.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlFunctionName, LambdaControlEndpoint } from '../../adapters/lambda-control-endpoint.js';
import { LoopbackControlEndpoint } from '../../adapters/loopback-control-endpoint.js';
import { InvalidRequestError, NotFoundError, ThrottlingError, TransientError } from '../../domain/errors.js';

const lambda = mockClient(LambdaClient);
const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;

describe('LambdaControlEndpoint', () => {
  const endpoint = () =>
    new LambdaControlEndpoint(new LambdaClient({ region: 'ca-central-1' }), {
      functionName: controlFunctionName('prod'),
      region: 'ca-central-1',
    });

  beforeEach(() => {
    lambda.reset();
  });

  it('invokes the stage control function with the command and returns its answer, refusals included', async () => {
    const refusal = { ok: false, error: 'invalid command', issues: ['role: unknown role "web"'] };
    lambda.on(InvokeCommand).resolves({ StatusCode: 200, Payload: payload(refusal) });
    expect(await endpoint().send({ action: 'launch', role: 'web', count: 1 })).toEqual(refusal);
    const input = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(input?.FunctionName).toBe('fleet-pilot-prod-control');
    expect(input?.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(input?.Payload as Uint8Array))).toEqual({
      action: 'launch',
      role: 'web',
      count: 1,
    });
    expect(endpoint().target).toBe('function fleet-pilot-prod-control in ca-central-1');
  });

  it('reports a function that threw, naming it and its error', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload({ errorType: 'Error', errorMessage: 'ledger table missing' }),
    });
    await expect(endpoint().send({ action: 'status' })).rejects.toThrow(
      new TransientError(
        'function fleet-pilot-prod-control in ca-central-1 failed (Unhandled): ledger table missing',
      ),
    );
  });

  it('maps a missing function and throttling into domain errors', async () => {
    lambda
      .on(InvokeCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }))
      .rejectsOnce(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));
    await expect(endpoint().send({ action: 'status' })).rejects.toBeInstanceOf(NotFoundError);
    await expect(endpoint().send({ action: 'status' })).rejects.toBeInstanceOf(ThrottlingError);
  });
});

describe('LoopbackControlEndpoint', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it.each([
    'http://10.0.0.5:8080/control',
    'http://example.com/control',
    'https://127.0.0.1/control',
    'not a url',
  ])('refuses %s: commands never leave the machine', (url) => {
    expect(() => new LoopbackControlEndpoint(url)).toThrow(InvalidRequestError);
  });

  it('posts the command as JSON and returns the answer', async () => {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({ ok: true, method: req.method, got: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    close = () => new Promise((resolve) => server.close(() => resolve()));
    const { port } = server.address() as AddressInfo;
    const answer = await new LoopbackControlEndpoint(`http://127.0.0.1:${port}/control`).send({
      action: 'status',
    });
    expect(answer).toEqual({ ok: true, method: 'POST', got: { action: 'status' } });
  });

  it('says the sandbox is not running when nothing listens', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await expect(new LoopbackControlEndpoint(`http://127.0.0.1:${port}/control`).send({})).rejects.toThrow(
      /is not running \(connection refused\)/,
    );
  });
});
