// Amazon Connect → Sticky Calls: an AWS Lambda (Node.js 20+) for the flow's
// "AWS Lambda function" block (Invoke Lambda, Synchronous). Connect waits for the
// block's Timeout (default 3 s, at most 8 s in synchronous mode) and sends a timeout or
// an error down the block's Error branch. This code gives Sticky Calls TIMEOUT_MS and
// then answers found=false itself, so set the block's Timeout above that (8 s) and
// the function's own timeout to 8 s. Response validation STRING_MAP: a flat object of
// string values, so nested answers are flattened here (under 32 KB).
// Environment: STICKYCALLS_URL, STICKYCALLS_KEY.

const TIMEOUT_MS = 3000;

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

// Identify at call start: the flow's Set contact attributes block copies these
// ($.External.customer_ref...) to the contact for routing and the agent's screen.
export async function handler(event) {
  const contact = event.Details.ContactData;
  const params = event.Details.Parameters ?? {};
  if (params.action === 'save') return save(contact, params);
  const hints = { ani: contact.CustomerEndpoint?.Address ?? '' };
  if (params.crm_id) hints.external_ids = { customer_id: params.crm_id };
  try {
    const a = await post('/v1/calls/start', { call_id: contact.ContactId, identity_hints: hints },
      `${contact.ContactId}:start`);
    const intent = (a.open_intents ?? []).find((i) => i.status === 'open');
    return {
      found: 'true',
      customer_ref: a.customer_ref ?? '',
      recommendation: a.identity.recommendation,
      level: a.identity.level,
      confidence: String(a.identity.confidence),
      open_intent: intent?.intent ?? '',
      // Notes only for a caller we are sure of (reuse); never on confirm or ignore.
      last_note: a.identity.recommendation === 'reuse' ? String(Object.values(a.variables ?? {})[0]?.value ?? '') : '',
    };
  } catch (e) {
    console.error(`sticky calls: ${e.message}; standard flow`);
    return { found: 'false', customer_ref: '', recommendation: 'ignore', level: 'low', confidence: '0', open_intent: '', last_note: '' };
  }
}

// Save at the end (a second Lambda block in the disconnect flow, Parameters
// action=save, intent, intent_status, summary; customer_ref from the contact's
// attributes).
async function save(contact, params) {
  try {
    await post('/v1/calls/end', {
      call_id: contact.ContactId,
      customer_ref: params.customer_ref || contact.Attributes?.customer_ref || undefined,
      intent: params.intent || 'general_inquiry',
      intent_status: params.intent_status || 'resolved',
      variables: params.summary ? { summary: params.summary } : {},
    }, `${contact.ContactId}:end`);
    return { saved: 'true' };
  } catch (e) {
    console.error(`sticky calls: ${e.message}; not saved`);
    return { saved: 'false' };
  }
}
