// Sticky Calls from Node.js 18+ (built-in fetch, no package needed): identify the
// caller at call start, save at call end, with the seeds' decision logic, the error
// table (401/402 alert an admin, 429/5xx retry, anything else falls back), retries
// under one Idempotency-Key and a 3 s timeout after which the call goes on as a new
// caller's.
//
//   STICKYCALLS_URL=http://127.0.0.1:8080 STICKYCALLS_KEY=sk_test_... node example.mjs

const BASE_URL = process.env.STICKYCALLS_URL ?? 'http://127.0.0.1:8080';
const API_KEY = process.env.STICKYCALLS_KEY;
const TIMEOUT_MS = 3000; // per attempt: the caller must never wait on us
const ATTEMPTS = 3; // one try and two retries
const RETRYABLE = new Set([408, 409, 429, 500, 502, 503, 504]); // 409: same key still running

// What a call goes on with when Sticky Calls cannot answer: a new caller.
const FALLBACK = {
  customer_ref: null,
  identity: { confidence: 0, level: 'low', sources: [], recommendation: 'ignore' },
  open_intents: [],
  variables: {},
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// POSTs with retries. Never throws: a failure becomes the fallback.
export async function post(path, body, idempotencyKey, { baseUrl = BASE_URL, apiKey = API_KEY } = {}) {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    let r;
    try {
      r = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${apiKey}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': idempotencyKey,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      console.error(`sticky calls: ${e.name === 'TimeoutError' ? 'no answer in 3 s' : e.message}, standard flow`);
      return { status: 0, body: FALLBACK, attempts: attempt, fallback: true };
    }
    if (r.status === 200) return { status: 200, body: await r.json(), attempts: attempt, fallback: false };
    if (RETRYABLE.has(r.status) && attempt < ATTEMPTS) {
      // Retry-After when the server gives one, else 0.25 s, 0.5 s...; capped at 1 s.
      const after = Number(r.headers.get('Retry-After') ?? 0.25 * 2 ** (attempt - 1));
      await sleep(Math.min(after, 1) * 1000);
      continue;
    }
    const error = await r.json().catch(() => ({}));
    if (r.status === 401 || r.status === 402) {
      // 401: check the API key; 402: no credits left. Both need a person.
      console.error(`ALERT admin: sticky calls answered ${r.status} ${error.code}`);
    } else {
      console.error(`sticky calls answered ${r.status}, standard flow`);
    }
    return { status: r.status, body: FALLBACK, attempts: attempt, fallback: true };
  }
}

export function identifyCaller(callId, ani, crmId, options) {
  const hints = { ani };
  if (crmId) hints.external_ids = { customer_id: crmId };
  return post('/v1/calls/start', { call_id: callId, identity_hints: hints }, `${callId}:start`, options);
}

export function saveContext(callId, customerRef, intent, intentStatus, variables) {
  return post('/v1/calls/end',
    { call_id: callId, customer_ref: customerRef, intent, intent_status: intentStatus, variables },
    `${callId}:end`);
}

// The seeds' decision logic: what to do with the caller, and which queue.
export function decide(answer) {
  const recommendation = answer.identity.recommendation;
  const action = recommendation === 'reuse' ? 'greet_with_context' // context to the agent
    : recommendation === 'confirm' ? 'confirm_identity' // one question first
      : 'standard_greeting';
  let queue = 'general';
  for (const intent of answer.open_intents ?? []) {
    if (intent.status !== 'open') continue;
    if (intent.intent === 'escalation') { queue = 'senior'; break; }
    if (intent.intent === 'billing_issue') queue = 'billing';
    else if (intent.intent === 'technical_support' && queue === 'general') queue = 'technical';
  }
  return { action, queue };
}

function report(label, outcome) {
  const answer = outcome.body;
  const { action, queue } = decide(answer);
  const note = answer.variables.test_note?.value ?? '';
  console.log(`${label}: status=${outcome.status} attempts=${outcome.attempts} fallback=${outcome.fallback} `
    + `recommendation=${answer.identity.recommendation} level=${answer.identity.level} `
    + `action=${action} queue=${queue} note=${note}`);
}

const ani = process.env.EXAMPLE_ANI ?? '+14155559999';
const prefix = process.env.EXAMPLE_PREFIX ?? 'node';
// The seeds' "Test Match Logic": a new caller, their call saved, then recognised.
const first = await identifyCaller(`${prefix}_001`, ani);
report('first', first);
const saved = await saveContext(`${prefix}_001`, first.body.customer_ref, 'billing_issue', 'open',
  { test_note: 'Test context' });
console.log(`end: status=${saved.status} fallback=${saved.fallback}`);
report('second', await identifyCaller(`${prefix}_002`, ani));
// Faults: a flaky route, a slow one, a revoked key.
if (process.env.FLAKY_URL) report('retried', await identifyCaller(`${prefix}_003`, ani, null, { baseUrl: process.env.FLAKY_URL }));
if (process.env.SLOW_URL) report('timeout', await identifyCaller(`${prefix}_004`, ani, null, { baseUrl: process.env.SLOW_URL }));
report('unauthorized', await identifyCaller(`${prefix}_005`, ani, null, { apiKey: 'sk_test_0000000000000000_revoked' }));
