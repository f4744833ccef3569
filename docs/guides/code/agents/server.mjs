// One small HTTP server (Node.js 18+, no package) for every AI agent platform's
// webhook: POST /vapi, /retell, /elevenlabs/init, /elevenlabs/save_call,
// /dialogflow-cx. Put it behind HTTPS. With WEBHOOK_SECRET set, a request must carry
// it as `X-Vapi-Secret` (Vapi's server secret), `X-Webhook-Secret` (a custom header in
// ElevenLabs or Dialogflow CX) or `Authorization: Bearer <secret>`; others get 401.
// (Retell signs instead: verify `X-Retell-Signature` with Retell's SDK.)
//   STICKYCALLS_URL=... STICKYCALLS_KEY=... WEBHOOK_SECRET=... PORT=3000 node server.mjs

import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { handleDialogflowCx } from './dialogflow-cx.mjs';
import { handleElevenLabsInit, handleSaveTool } from './elevenlabs.mjs';
import { handleRetell } from './retell.mjs';
import { handleVapi } from './vapi.mjs';

export const ROUTES = {
  '/vapi': handleVapi,
  '/retell': handleRetell,
  '/elevenlabs/init': handleElevenLabsInit,
  '/elevenlabs/save_call': handleSaveTool,
  '/dialogflow-cx': handleDialogflowCx,
};

const digest = (text) => createHash('sha256').update(text).digest();

/** Whether the request carries the shared secret (always, when none is set). */
export function authorized(headers, secret = process.env.WEBHOOK_SECRET) {
  if (!secret) return true;
  const bearer = (headers.authorization ?? '').replace(/^Bearer /, '');
  return [headers['x-vapi-secret'], headers['x-webhook-secret'], bearer]
    .some((sent) => sent && timingSafeEqual(digest(sent), digest(secret)));
}

export function createServer() {
  return http.createServer(async (req, res) => {
    const handler = req.method === 'POST' && ROUTES[new URL(req.url, 'http://x').pathname];
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    if (!authorized(req.headers)) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    let raw = '';
    for await (const chunk of req) raw += chunk;
    try {
      const answer = await handler(JSON.parse(raw || '{}'));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
    } catch (e) {
      console.error(e);
      res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"bad request"}');
    }
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  createServer().listen(Number(process.env.PORT ?? 3000));
}
