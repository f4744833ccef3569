// Runs every Node.js guide's code (docs/guides/code/) with its platform's sample
// event (docs/guides/code/events/), as the platform would: a Lambda handler, Twilio
// Functions, the AI agents' webhook server over HTTP, Voiceflow functions. For each:
// a new caller, the call saved, the same number again. Prints one JSON line per
// platform for run.py to check. Environment: STICKYCALLS_URL, STICKYCALLS_KEY, ANI_BASE.

import { readFileSync } from 'node:fs';
import { once } from 'node:events';

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

process.env.WEBHOOK_SECRET = 'shared-secret-for-the-test';
const { createServer } = await import(new URL('agents/server.mjs', ROOT));
const server = createServer().listen(0, '127.0.0.1');
await once(server, 'listening');
const send = (path, body, headers) => fetch(`http://127.0.0.1:${server.address().port}${path}`, {
  method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body),
});
const webhook = async (path, body) => (await send(path, body, { 'X-Webhook-Secret': process.env.WEBHOOK_SECRET })).json();

// Without the shared secret, or with a wrong one, the server refuses.
const refused = [
  (await send('/vapi', {}, {})).status,
  (await send('/vapi', {}, { 'X-Vapi-Secret': 'wrong' })).status,
  (await send('/vapi', { message: { type: 'status-update' } }, { 'X-Vapi-Secret': process.env.WEBHOOK_SECRET })).status,
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
      return { recommendation: out.recommendation, customer_ref: out.customer_ref, notes: JSON.parse(out.variables).summary?.value ?? '' };
    },
    save: async (call, ani, ref) => (await twilio(saveContext, twilioContext, event('twilio-save', { call, customer_ref: ref }))).success,
  },
  vapi: {
    identify: async (call, ani) => {
      const out = await webhook('/vapi', event('vapi-assistant-request', { call, ani }));
      const v = out.assistantOverrides.variableValues;
      return { recommendation: v.recommendation, customer_ref: v.customer_ref, notes: v.caller_notes, assistant: out.assistantId };
    },
    save: async (call, ani, ref) => (await webhook('/vapi', event('vapi-tool-calls', { call, ani, customer_ref: ref }))).results[0].result === 'saved',
  },
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

let n = 0;
for (const [platform, p] of Object.entries(PLATFORMS)) {
  n += 1;
  const ani = `${process.env.ANI_BASE}${n}`;
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
