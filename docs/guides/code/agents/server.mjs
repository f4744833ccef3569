// One small HTTP server (Node.js 18+, no package) for every AI agent platform's
// webhook: POST /vapi, /retell, /elevenlabs/init, /elevenlabs/save_call,
// /dialogflow-cx. Put it behind HTTPS and check each platform's signature or secret
// header (see its guide) before trusting a request.
//   STICKYCALLS_URL=... STICKYCALLS_KEY=... PORT=3000 node server.mjs

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

export function createServer() {
  return http.createServer(async (req, res) => {
    const handler = req.method === 'POST' && ROUTES[new URL(req.url, 'http://x').pathname];
    if (!handler) {
      res.writeHead(404).end();
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
