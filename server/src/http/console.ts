import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * Serves the built console (React single-page app) from `webDir`: its files, and index.html for any
 * other GET that is not an API or documentation path, so deep links such as
 * /companies/ID/key-management load the app. Without a build, `/` says how to make one.
 */
export async function registerConsole(app: FastifyInstance, webDir: string): Promise<void> {
  const indexPath = path.join(webDir, 'index.html');
  if (!fs.existsSync(indexPath)) {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send(`The console is not built (no ${indexPath}). Run "npm run build" at the repository root.\n`),
    );
    return;
  }

  await app.register(fastifyStatic, { root: webDir, wildcard: false, index: ['index.html'] });
  app.get('/*', async (request, reply) => {
    const url = request.url.split('?')[0]!;
    if (url.startsWith('/api/') || url.startsWith('/docs')) return reply.callNotFound();
    // Paths that look like files and were not found above are real 404s, not app routes.
    if (path.extname(url) !== '') return reply.callNotFound();
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').sendFile('index.html');
  });
}
