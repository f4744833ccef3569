// Voiceflow Function "identify caller": input variables `caller_number` (the
// telephony channel's {user_id} or your own), `call_id`, `sticky_url`, `sticky_key`
// (store the key as a Voiceflow secret); output variables `customer_ref`,
// `recommendation`, `caller_notes`, `open_issues`, `confirm_hints`; paths `reuse`,
// `confirm`, `new` for the next step. Voiceflow stops a function at about 10 s; we
// spend at most 3 s and take the `new` path when Sticky Calls cannot answer.

export default async function main(args) {
  const { caller_number, call_id, sticky_url, sticky_key } = args.inputVars;
  const empty = { customer_ref: '', recommendation: 'ignore', caller_notes: '', open_issues: '', confirm_hints: '' };
  let answer;
  try {
    const r = await fetch(`${sticky_url}/v1/calls/start`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${sticky_key}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `${call_id}:start`,
      },
      body: JSON.stringify({ call_id, identity_hints: { ani: caller_number } }),
      signal: AbortSignal.timeout(3000),
    });
    if (!r.ok) throw new Error(`status ${r.status}`);
    answer = await r.json();
  } catch (e) {
    return { outputVars: empty, next: { path: 'new' }, trace: [{ type: 'debug', payload: { message: `sticky calls: ${e.message}` } }] };
  }
  const recommendation = answer.identity.recommendation;
  const reuse = recommendation === 'reuse';
  const outputVars = {
    customer_ref: answer.customer_ref ?? '',
    recommendation,
    // Context only for a caller we are sure of; hints to ask one question on confirm.
    caller_notes: reuse ? Object.entries(answer.variables ?? {}).map(([k, v]) => `${k}: ${v.value}`).join('; ') : '',
    open_issues: reuse ? (answer.open_intents ?? []).filter((i) => i.status === 'open').map((i) => i.intent).join(', ') : '',
    confirm_hints: recommendation === 'confirm'
      ? (answer.identity.candidates ?? []).map((c) => c.hint).filter(Boolean).join(', ') : '',
  };
  const path = reuse ? 'reuse' : recommendation === 'confirm' ? 'confirm' : 'new';
  return { outputVars, next: { path } };
}
