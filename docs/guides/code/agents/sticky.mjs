// The two Sticky Calls calls for AI agents' webhooks (Node.js 18+, no package): a 3 s
// budget per call (the platforms' own budgets are larger; the caller hears silence
// while we wait), the Idempotency-Key from the call id, and a new caller's answer
// when anything fails. Environment: STICKYCALLS_URL, STICKYCALLS_KEY.

const TIMEOUT_MS = 3000;

export const NEW_CALLER = {
  customer_ref: null,
  identity: { confidence: 0, level: 'low', sources: [], recommendation: 'ignore' },
  open_intents: [],
  variables: {},
};

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
