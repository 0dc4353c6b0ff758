// SIGTERM on the real service process: it stops taking connections, says it is not ready, lets the request under way
// finish within SHUTDOWN_GRACE_MS, then exits 0.
import { connect, type Socket } from 'node:net';
import { freePort } from '../helpers/app.js';
import { startService } from '../helpers/process.js';
import { createTestStorage, type TestStorage } from '../helpers/storage.js';

let storage: TestStorage;
beforeAll(async () => { storage = await createTestStorage(); });
afterAll(async () => { await storage?.dispose(); });

/** A raw HTTP/1.1 connection, to send a request in pieces and read what comes back. */
async function open(port: number): Promise<{ socket: Socket; received(): string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => { received += chunk.toString(); });
  const closed = new Promise<void>((resolve) => { socket.on('close', () => resolve()); });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve).once('error', reject); });
  return { socket, received: () => received, closed };
}

const sleep = (ms: number) => new Promise((resolve) => { setTimeout(resolve, ms); });

it('drains on SIGTERM: refuses new connections, is not ready, finishes the request under way, exits 0', async () => {
  const port = await freePort();
  const service = await startService({ ...storage.env, PORT: String(port), SHUTDOWN_GRACE_MS: '8000' });
  const body = JSON.stringify({ query: '{ __typename }' });
  // A request under way: its headers are in, its body is not.
  const slow = await open(port);
  slow.socket.write(`POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
  await sleep(200);

  const exited = service.stop();
  await sleep(500);
  // No new connections.
  await expect(open(port)).rejects.toThrow(/ECONNREFUSED/);
  // The rest of the body, and a readiness check behind it on the same connection.
  slow.socket.write(`${body.slice(5)}GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n`);
  await slow.closed;
  const [graphqlAnswer, readyAnswer] = slow.received().split(/(?=HTTP\/1\.1 )/);
  expect(graphqlAnswer).toMatch(/^HTTP\/1\.1 200/);
  expect(graphqlAnswer).toContain('"__typename":"Query"');
  expect(readyAnswer).toMatch(/^HTTP\/1\.1 503/);
  expect(readyAnswer).toContain('"shutdown":"draining"');
  expect(await exited).toBe(0);
}, 40_000);

it('closes anyway once SHUTDOWN_GRACE_MS has passed', async () => {
  const port = await freePort();
  const service = await startService({ ...storage.env, PORT: String(port), SHUTDOWN_GRACE_MS: '1000' });
  const stuck = await open(port);
  stuck.socket.write('POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{');
  await sleep(200);
  const started = performance.now();
  expect(await service.stop()).toBe(0);
  const took = performance.now() - started;
  expect(took).toBeGreaterThanOrEqual(900);
  expect(took).toBeLessThan(6000);
  await stuck.closed;
}, 40_000);
