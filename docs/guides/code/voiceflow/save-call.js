// Voiceflow Function "save call": input variables `call_id`, `customer_ref`,
// `intent`, `intent_status` (open or resolved), `summary`, `sticky_url`,
// `sticky_key`; paths `saved` and `failed` (carry on either way).

export default async function main(args) {
  const { call_id, customer_ref, intent, intent_status, summary, sticky_url, sticky_key } = args.inputVars;
  try {
    const r = await fetch(`${sticky_url}/v1/calls/end`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${sticky_key}`,
        'Content-Type': 'application/json',
        'Idempotency-Key': `${call_id}:end`,
      },
      body: JSON.stringify({
        call_id,
        customer_ref: customer_ref || undefined,
        intent: intent || 'general_inquiry',
        intent_status: intent_status === 'open' ? 'open' : 'resolved',
        variables: summary ? { summary } : {},
      }),
      signal: AbortSignal.timeout(3000),
    });
    return { next: { path: r.ok ? 'saved' : 'failed' } };
  } catch (e) {
    return { next: { path: 'failed' }, trace: [{ type: 'debug', payload: { message: `sticky calls: ${e.message}` } }] };
  }
}
