// The two Sticky Calls calls for AI agents' webhooks (Node.js 18+, no package): a 3 s
// budget per call (the platforms' own budgets are larger; the caller hears silence
// while we wait), the Idempotency-Key from the call id, and a new caller's answer
// when anything fails. Environment: STICKYCALLS_URL, STICKYCALLS_KEY.

const TIMEOUT_MS = 3000;
const MAX_CALL_ID = 128; // the API's limit on call_id (docs/openapi.json)

export const NEW_CALLER = {
  customer_ref: null,
  identity: { confidence: 0, level: 'low', sources: [], recommendation: 'ignore' },
  open_intents: [],
  variables: {},
};

/**
 * The id a platform sent, trimmed, or null when it sent none (missing, blank, or a
 * template left unfilled such as "{{system__call_sid}}" or "undefined").
 */
export function givenId(raw) {
  const text = raw === undefined || raw === null ? '' : String(raw).trim();
  if (!text || text === 'undefined' || text === 'null' || text === '0' || /^\{\{.*\}\}$/.test(text)) return null;
  return text.slice(0, MAX_CALL_ID);
}

/**
 * Our call id from a platform's id: `${prefix}_${raw}`, or null when the platform sent
 * none. A blank call_id is a 400 for the API, and a constant one ("vapi_undefined")
 * would merge strangers' calls, so callers handle null rather than send it.
 */
export function stickyCallId(prefix, raw) {
  const id = givenId(raw);
  return id ? `${prefix}_${id}`.slice(0, MAX_CALL_ID) : null;
}

async function post(path, body, idempotencyKey) {
  const r = await fetch(`${process.env.STICKYCALLS_URL}${path}`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${process.env.STICKYCALLS_KEY}`,
      'Content-Type': 'application/json',
      'Idempotency-Key': idempotencyKey,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!r.ok) throw new Error(`sticky calls answered ${r.status}`);
  return r.json();
}

/** The start answer for this call, or a new caller's when Sticky Calls cannot say. */
export async function identify(callId, ani, crmId) {
  if (!callId) {
    console.error('sticky calls: no call id from the platform; treating the caller as new');
    return NEW_CALLER;
  }
  const hints = { ani };
  if (crmId) hints.external_ids = { customer_id: crmId };
  try {
    return await post('/v1/calls/start', { call_id: callId, identity_hints: hints }, `${callId}:start`);
  } catch (e) {
    console.error(`sticky calls: ${e.message}; treating the caller as new`);
    return NEW_CALLER;
  }
}

/** Saves the call's outcome; true when stored. */
export async function save(callId, customerRef, intent, intentStatus, summary) {
  if (!callId) {
    console.error('sticky calls: no call id from the platform; not saved');
    return false;
  }
  try {
    await post('/v1/calls/end', {
      call_id: callId,
      customer_ref: customerRef || undefined,
      intent: intent || 'general_inquiry',
      intent_status: intentStatus === 'open' ? 'open' : 'resolved',
      variables: summary ? { summary: String(summary).slice(0, 1000) } : {},
    }, `${callId}:end`);
    return true;
  } catch (e) {
    console.error(`sticky calls: ${e.message}; not saved`);
    return false;
  }
}

/**
 * What the agent's prompt may use, as flat strings (every platform's variables are
 * strings): the context only on `reuse`; on `confirm`, the candidates' hints to ask
 * one question; nothing on `ignore`. Never another person's notes.
 */
export function agentContext(answer) {
  const recommendation = answer.identity.recommendation;
  const reuse = recommendation === 'reuse';
  const notes = reuse
    ? Object.entries(answer.variables ?? {}).map(([k, v]) => `${k}: ${v.value}`).join('; ')
    : '';
  const openIssues = reuse
    ? (answer.open_intents ?? []).filter((i) => i.status === 'open').map((i) => i.intent).join(', ')
    : '';
  const hints = recommendation === 'confirm'
    ? (answer.identity.candidates ?? []).map((c) => c.hint).filter(Boolean).join(', ')
    : '';
  return {
    customer_ref: answer.customer_ref ?? '',
    recommendation,
    caller_notes: notes,
    open_issues: openIssues,
    confirm_hints: hints,
  };
}
