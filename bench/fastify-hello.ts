/**
 * The ceiling for bench/assign.ts: a bare Fastify 5 (the version the app runs on) answering
 * GET /hello with a small JSON object, no hooks, no plugins. `node --import tsx bench/fastify-hello.ts <port>`;
 * prints "ready" when listening.
 */
import Fastify from 'fastify';

const port = Number(process.argv[2]);
const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write('ready\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
