// One small HTTP server (Node.js 18+, no package) for every AI agent platform's
// webhook: POST /vapi, /retell, /elevenlabs/init, /elevenlabs/save_call,
// /dialogflow-cx. Put it behind HTTPS.
// With WEBHOOK_SECRET set, a request must carry it as `X-Vapi-Secret` (a Vapi Bearer
// Token credential with that header and no Bearer prefix), `Authorization: Bearer
// <secret>` (a Vapi Bearer Token credential as it comes) or `X-Webhook-Secret` (a
// header you add in ElevenLabs or Dialogflow CX); others get 401.
// Retell signs its inbound and call webhooks (its docs give no way to add a header of
// yours to them).
// With RETELL_API_KEY set, /retell checks `X-Retell-Signature` instead
// (v=<ms>,d=<hex HMAC-SHA256 of body + ms, keyed with the API key>, at most 5 minutes
// old: the check in Retell's SDK, retell-typescript-sdk src/lib/webhook_auth.ts).
//   STICKYCALLS_URL=... STICKYCALLS_KEY=... WEBHOOK_SECRET=... RETELL_API_KEY=... PORT=3000 node server.mjs

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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

/** Whether `signature` (X-Retell-Signature) signs this exact raw body with the API key. */
export function retellSigned(raw, signature, apiKey = process.env.RETELL_API_KEY, now = Date.now()) {
  const match = /^v=(\d+),d=([0-9a-f]{64})$/i.exec(signature ?? '');
  if (!apiKey || !match) return false;
  const stamp = Number(match[1]);
  if (!Number.isSafeInteger(stamp) || Math.abs(now - stamp) > 5 * 60 * 1000) return false;
  const expected = createHmac('sha256', apiKey).update(raw + match[1]).digest();
  return timingSafeEqual(expected, Buffer.from(match[2], 'hex'));
}

export function createServer() {
  return http.createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const handler = req.method === 'POST' && ROUTES[path];
    if (!handler) {
      res.writeHead(404).end();
      return;
    }
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const raw = Buffer.concat(chunks).toString('utf8');
    const ok = path === '/retell' && process.env.RETELL_API_KEY
      ? retellSigned(raw, req.headers['x-retell-signature'])
      : authorized(req.headers);
    if (!ok) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
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
