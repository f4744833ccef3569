// Voiceflow Function "identify caller". Input variables: `caller_number` ({user_id} on
// Voiceflow's phone integration), `call_id` (a per-conversation id: {vf_transcript_id},
// or {user_id}_{timestamp}; see the guide), `sticky_url`, `sticky_key` (a Voiceflow
// secret). Output variables: `sticky_call_id` (pass it to "save call"), `customer_ref`,
// `recommendation`, `caller_notes`, `open_issues`, `confirm_hints`. Paths: `reuse`,
// `confirm`, `new`.
// Voiceflow's docs state no time limit for a function; we ask Sticky Calls for at most
// 3 s where the runtime offers AbortSignal.timeout, and take `new` on any failure.
// Functions cannot import modules, so the helpers are inlined; they accept both
// Voiceflow's fetch (the parsed body in the `json` field) and the standard one (`json()`).

export default async function main(args) {
  const { caller_number, call_id, sticky_url, sticky_key } = args.inputVars;
  const ani = String(caller_number ?? '').trim();
  const given = String(call_id ?? '').trim();
  const unset = !given || ['0', 'undefined', 'null'].includes(given) || given.startsWith('{');
  // Never an empty call_id (a 400): without a usable id, one of our own for this call.
  const stickyCallId = `vf_${unset ? `${ani || 'unknown'}_${Date.now()}` : given}`.slice(0, 128);
  const empty = { sticky_call_id: stickyCallId, customer_ref: '', recommendation: 'ignore', caller_notes: '',
    open_issues: '', confirm_hints: '' };
  let answer;
  try {
    const r = await fetch(`${sticky_url}/v1/calls/start`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${sticky_key}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `${stickyCallId}:start`,
      },
      body: JSON.stringify({ call_id: stickyCallId, identity_hints: { ani } }),
      ...(typeof AbortSignal !== 'undefined' && AbortSignal.timeout ? { signal: AbortSignal.timeout(3000) } : {}),
    });
    if (r.ok === false || (typeof r.status === 'number' && (r.status < 200 || r.status > 299))) {
      throw new Error(`status ${r.status}`);
    }
    answer = typeof r.json === 'function' ? await r.json() : r.json;
    if (!answer?.identity?.recommendation) throw new Error('unexpected answer');
  } catch (e) {
    return { outputVars: empty, next: { path: 'new' }, trace: [{ type: 'debug', payload: { message: `sticky calls: ${e.message}` } }] };
  }
  const recommendation = answer.identity.recommendation;
  const reuse = recommendation === 'reuse';
  const outputVars = {
    sticky_call_id: stickyCallId,
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
