// Voiceflow Function "save call". Input variables: `call_id` (the {sticky_call_id}
// output of "identify caller"), `customer_ref`, `intent`, `intent_status` (open or
// resolved), `summary`, `sticky_url`, `sticky_key`. Paths: `saved` and `failed` (carry
// on either way). Without a call id it does not call Sticky Calls (a blank call_id is a
// 400) and takes `failed`.

export default async function main(args) {
  const { call_id, customer_ref, intent, intent_status, summary, sticky_url, sticky_key } = args.inputVars;
  const callId = String(call_id ?? '').trim().slice(0, 128);
  if (!callId || ['0', 'undefined', 'null'].includes(callId) || callId.startsWith('{')) {
    return { next: { path: 'failed' }, trace: [{ type: 'debug', payload: { message: 'sticky calls: no call id; not saved' } }] };
  }
  try {
    const r = await fetch(`${sticky_url}/v1/calls/end`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${sticky_key}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `${callId}:end`,
      },
      body: JSON.stringify({
        call_id: callId,
        customer_ref: customer_ref || undefined,
        intent: intent || 'general_inquiry',
        intent_status: intent_status === 'open' ? 'open' : 'resolved',
        variables: summary ? { summary: String(summary).slice(0, 1000) } : {},
      }),
      ...(typeof AbortSignal !== 'undefined' && AbortSignal.timeout ? { signal: AbortSignal.timeout(3000) } : {}),
    });
    // Standard fetch: the status. Voiceflow's fetch, if it gives no status: the parsed
    // body, which names the call on success.
    const failed = r.ok === false || (typeof r.status === 'number'
      ? r.status < 200 || r.status > 299
      : !(typeof r.json === 'object' && r.json?.call_id && !r.json?.error));
    return { next: { path: failed ? 'failed' : 'saved' } };
  } catch (e) {
    return { next: { path: 'failed' }, trace: [{ type: 'debug', payload: { message: `sticky calls: ${e.message}` } }] };
  }
}
