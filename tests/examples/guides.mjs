// Runs every Node.js guide's code (docs/guides/code/) with its platform's sample
// event (docs/guides/code/events/), as the platform would: a Lambda handler, Twilio
// Functions, the AI agents' webhook server over HTTP, Voiceflow functions. For each:
// a new caller, the call saved, the same number again. Prints one JSON line per
// platform for run.py to check. Environment: STICKYCALLS_URL, STICKYCALLS_KEY, ANI_BASE.

import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import Module from 'node:module';

const ROOT = new URL('../../docs/guides/code/', import.meta.url);
const URL_ = process.env.STICKYCALLS_URL;
const KEY = process.env.STICKYCALLS_KEY;

function event(name, vars) {
  let text = readFileSync(new URL(`events/${name}.json`, ROOT), 'utf8');
  for (const [k, v] of Object.entries({ url: URL_, key: KEY, ...vars })) text = text.replaceAll(`{{${k}}}`, v);
  return JSON.parse(text);
}

// Twilio Functions and Lambda: the platform's calling convention.
const twilio = (fn, context, ev) => new Promise((resolve, reject) =>
  fn(context, ev, (error, value) => (error ? reject(error) : resolve(value))));

// Twilio Functions' global Twilio.Response (the methods the guide's code uses).
globalThis.Twilio = { Response: class {
  constructor() { this.statusCode = 200; this.headers = {}; this.body = undefined; }
  setStatusCode(code) { this.statusCode = code; }
  appendHeader(key, value) { this.headers[key.toLowerCase()] = value; }
  setBody(body) { this.body = body; }
} };

// twilio-flex-token-validator without Twilio: the same wrapper contract (token in
// event.Token, 403 with CORS headers when refused, event.TokenResult when accepted).
const FLEX_TOKEN = 'flex-token-for-the-test';
const validatorStub = { functionValidator: (handlerFn) => (context, event, callback) => {
  if (event.Token !== FLEX_TOKEN) {
    const response = new Twilio.Response();
    response.appendHeader('Access-Control-Allow-Origin', '*');
    response.setStatusCode(403);
    response.setBody('Unauthorized');
    return callback(null, response);
  }
  event.TokenResult = { valid: true, identity: 'test_agent', roles: ['agent'] };
  return handlerFn(context, event, callback);
} };
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === 'twilio-flex-token-validator' ? validatorStub : load.call(this, request, ...rest);
};

// Studio's Make HTTP Request widget with credentials in its URL (https://key:x@host/...):
// sent as HTTP Basic, user name = key (fetch refuses URLs with credentials, so we do it).
async function studioHttpRequest(urlWithCredentials, body) {
  const u = new URL(urlWithCredentials);
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = ''; u.password = '';
  return fetch(u, { method: 'POST', headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/json' }, body });
}

process.env.WEBHOOK_SECRET = 'shared-secret-for-the-test';
process.env.RETELL_API_KEY = 'retell-key-for-the-test';
// Retell's signature as its SDK makes it: v=<ms>,d=<hex HMAC-SHA256(api key, body + ms)>.
const retellSignature = (raw, ms = Date.now()) =>
  `v=${ms},d=${createHmac('sha256', process.env.RETELL_API_KEY).update(raw + ms).digest('hex')}`;
const { createServer } = await import(new URL('agents/server.mjs', ROOT));
const server = createServer().listen(0, '127.0.0.1');
await once(server, 'listening');
const send = (path, body, headers) => fetch(`http://127.0.0.1:${server.address().port}${path}`, {
  method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
});
const webhook = async (path, body) => (await send(path, body, path === '/retell'
  ? { 'X-Retell-Signature': retellSignature(JSON.stringify(body)) }
  : { 'X-Webhook-Secret': process.env.WEBHOOK_SECRET })).json();

// Without the shared secret, or with a wrong one, the server refuses.
const refused = [
  (await send('/vapi', {}, {})).status,
  (await send('/vapi', {}, { 'X-Vapi-Secret': 'wrong' })).status,
  (await send('/vapi', { message: { type: 'status-update' } }, { 'X-Vapi-Secret': process.env.WEBHOOK_SECRET })).status,
  // Retell: the shared secret is not enough; a signature over another body, or 6 minutes old, is refused.
  (await send('/retell', {}, { 'X-Webhook-Secret': process.env.WEBHOOK_SECRET })).status,
  (await send('/retell', {}, { 'X-Retell-Signature': retellSignature('{"other":1}') })).status,
  (await send('/retell', {}, { 'X-Retell-Signature': retellSignature('{}', Date.now() - 6 * 60 * 1000) })).status,
  (await send('/retell', {}, { 'X-Retell-Signature': retellSignature('{}') })).status,
];
console.log(JSON.stringify({ platform: 'agents server (shared secret)', refused, runtime: `Node.js ${process.version}` }));

const connect = await import(new URL('amazon-connect/lambda.mjs', ROOT));
const getContext = (await import(new URL('twilio/get-caller-context.js', ROOT))).default.handler;
const saveContext = (await import(new URL('twilio/save-context.js', ROOT))).default.handler;
const vfIdentify = (await import(new URL('voiceflow/identify-caller.js', ROOT))).default;
const vfSave = (await import(new URL('voiceflow/save-call.js', ROOT))).default;
const twilioContext = { STICKYCALLS_URL: URL_, STICKYCALLS_KEY: KEY };

// Retell's inbound webhook, before either way of saving.
async function retellInbound(call, ani) {
  const out = await webhook('/retell', event('retell-inbound', { ani }));
  const v = out.call_inbound.dynamic_variables;
  const flat = Object.values(v).every((x) => typeof x === 'string');
  return { recommendation: v.recommendation, customer_ref: v.customer_ref, notes: v.caller_notes, flat,
    sticky_call_id: out.call_inbound.metadata.sticky_call_id };
}

// Each platform: identify(call) -> {recommendation, customer_ref, notes, extra}; save(call, ref, extra) -> bool.
const PLATFORMS = {
  'amazon-connect (node)': {
    identify: async (call, ani) => {
      const out = await connect.handler(event('connect-start', { call, ani }));
      const flat = Object.values(out).every((v) => typeof v === 'string');
      return { recommendation: out.recommendation, customer_ref: out.customer_ref, notes: out.last_note, flat };
    },
    save: async (call, ani, ref) => (await connect.handler(event('connect-save', { call, ani, customer_ref: ref }))).saved === 'true',
  },
  'twilio functions': {
    identify: async (call, ani) => {
      const out = await twilio(getContext, twilioContext, event('twilio-start', { call, ani }));
      const attributes = JSON.parse(out.attributes); // what Send to Flex gets, as it gets it
      return { recommendation: out.recommendation, customer_ref: out.customer_ref,
        notes: attributes.variables.summary?.value ?? '', attributes_recommendation: attributes.recommendation };
    },
    save: async (call, ani, ref) => {
      const saved = await twilio(saveContext, twilioContext, event('twilio-save', { call, customer_ref: ref }));
      return saved.statusCode === 200 && saved.body.success && saved.headers['access-control-allow-origin'] === '*';
    },
  },
  'twilio studio (basic auth)': {
    aniSuffix: '00', // a number no other platform uses, so the others keep theirs
    identify: async (call, ani) => {
      const url = new URL('/v1/calls/start', URL_);
      url.username = encodeURIComponent(KEY); url.password = 'x';
      const body = JSON.stringify(event('twilio-http-request', { call, ani }));
      const first = await (await studioHttpRequest(url.href, body)).json();
      const retried = await (await studioHttpRequest(url.href, body)).json(); // Studio has no Idempotency-Key
      return { recommendation: first.identity.recommendation, customer_ref: first.customer_ref ?? '',
        notes: first.variables?.summary?.value ?? '', retry_same: retried.identity.recommendation === first.identity.recommendation
          && (retried.customer_ref ?? '') === (first.customer_ref ?? '') };
    },
    save: async (call, ani, ref) => (await twilio(saveContext, twilioContext, event('twilio-save', { call, customer_ref: ref }))).body.success,
  },
  vapi: {
    identify: async (call, ani) => {
      const out = await webhook('/vapi', event('vapi-assistant-request', { call, ani }));
      const v = out.assistantOverrides.variableValues;
      return { recommendation: v.recommendation, customer_ref: v.customer_ref, notes: v.caller_notes, assistant: out.assistantId };
    },
    save: async (call, ani, ref) => (await webhook('/vapi', event('vapi-tool-calls', { call, ani, customer_ref: ref }))).results[0].result === 'saved',
  },
  // Vapi documents the tool call in two more shapes; the same webhook must save from each.
  ...Object.fromEntries(['custom-tools', 'sdk'].map((shape) => [`vapi (tool-calls, ${shape} shape)`, {
    identify: async (call, ani) => {
      const out = await webhook('/vapi', event('vapi-assistant-request', { call, ani }));
      const v = out.assistantOverrides.variableValues;
      return { recommendation: v.recommendation, customer_ref: v.customer_ref, notes: v.caller_notes, assistant: out.assistantId };
    },
    save: async (call, ani, ref) => (await webhook('/vapi', event(`vapi-tool-calls-${shape}`, { call, ani, customer_ref: ref }))).results[0].result === 'saved',
  }])),
  'retell (call_analyzed)': {
    identify: retellInbound,
    save: async (call, ani, ref, first) => (await webhook('/retell', event('retell-analyzed',
      { call, ani, customer_ref: ref, sticky_call_id: first.sticky_call_id }))).saved,
  },
  'retell (save_call function)': {
    identify: retellInbound,
    save: async (call, ani, ref, first) => (await webhook('/retell', event('retell-function-save-call',
      { call, ani, customer_ref: ref, sticky_call_id: first.sticky_call_id }))).result === 'saved',
  },
  elevenlabs: {
    identify: async (call, ani) => {
      const out = await webhook('/elevenlabs/init', event('elevenlabs-init', { call, ani }));
      const v = out.dynamic_variables;
      return { recommendation: v.recommendation, customer_ref: v.customer_ref, notes: v.caller_notes, type: out.type };
    },
    save: async (call, ani, ref) => (await webhook('/elevenlabs/save_call', event('elevenlabs-save-call', { call, customer_ref: ref }))).result === 'saved',
  },
  'dialogflow-cx': {
    identify: async (call, ani) => {
      const out = await webhook('/dialogflow-cx', event('dialogflow-cx-identify', { call, ani }));
      const p = out.sessionInfo.parameters;
      return { recommendation: p.recommendation, customer_ref: p.customer_ref, notes: p.caller_notes,
        said: out.fulfillmentResponse.messages[0].text.text[0] };
    },
    save: async (call, ani, ref) => (await webhook('/dialogflow-cx', event('dialogflow-cx-save', { call, customer_ref: ref }))).sessionInfo.parameters.saved,
  },
  voiceflow: {
    identify: async (call, ani) => {
      const out = await vfIdentify(event('voiceflow-identify', { call, ani }));
      return { recommendation: out.outputVars.recommendation, customer_ref: out.outputVars.customer_ref,
        notes: out.outputVars.caller_notes, path: out.next.path };
    },
    save: async (call, ani, ref) => (await vfSave(event('voiceflow-save', { call, customer_ref: ref }))).next.path === 'saved',
  },
};

// save-context.js refuses without a Flex token and answers a CORS preflight, before
// anything reaches Sticky Calls.
{
  const preflight = await twilio(saveContext, twilioContext, { request: { headers: {
    origin: 'https://flex.twilio.com', 'access-control-request-method': 'POST' } } });
  const noToken = await twilio(saveContext, twilioContext, { CallSid: 'CA_no_token', request: { headers: {} } });
  console.log(JSON.stringify({ platform: 'twilio functions (flex token, cors)',
    preflight: preflight.statusCode, preflight_origin: preflight.headers['access-control-allow-origin'] ?? null,
    no_token: noToken.statusCode, runtime: `Node.js ${process.version}` }));
}

let n = 0;
for (const [platform, p] of Object.entries(PLATFORMS)) {
  if (p.aniSuffix === undefined) n += 1;
  // Two digits: more than nine platforms.
  const ani = `${process.env.ANI_BASE}${p.aniSuffix ?? String(n).padStart(2, '0')}`;
  const tag = platform.replace(/\W+/g, '_');
  const started = Date.now();
  try {
    const first = await p.identify(`${tag}_1`, ani);
    const saved = await p.save(`${tag}_1`, ani, first.customer_ref, first);
    const second = await p.identify(`${tag}_2`, ani);
    console.log(JSON.stringify({ platform, first, saved, second, ms: Date.now() - started, runtime: `Node.js ${process.version}` }));
  } catch (e) {
    console.log(JSON.stringify({ platform, error: String(e.stack ?? e) }));
  }
}
server.close();
