// Retell: the number's Inbound Webhook URL receives `call_inbound` before the call is
// answered; Retell waits 10 s and retries up to 3 times without a 2xx
// (docs.retellai.com/features/inbound-call-webhook). We spend at most 3 s on Sticky
// Calls. The answer sets dynamic variables ({{caller_notes}}... in the agent's prompt;
// all strings) and metadata that comes back in the call object of the call's later
// requests, so the agent's `save_call` custom function (or, without it,
// `call_analyzed`) saves under the same call id.
// Retell signs every request (X-Retell-Signature); server.mjs checks it when
// RETELL_API_KEY is set.
// Environment: STICKYCALLS_URL, STICKYCALLS_KEY.

import { agentContext, givenId, identify, save, stickyCallId } from './sticky.mjs';

/** Our id for the call: the one the inbound answer put in the metadata, else Retell's call_id. */
function callIdOf(call) {
  return givenId(call?.metadata?.sticky_call_id) ?? stickyCallId('retell', call?.call_id);
}

export async function handleRetell(body) {
  if (body.event === 'call_inbound') {
    const inbound = body.call_inbound ?? {};
    // Retell has no call object or call id yet at this point: make our own id. A retry of
    // this webhook that carries the same event_timestamp gets the same id.
    const callId = stickyCallId('retell', `${inbound.from_number ?? 'unknown'}_${body.event_timestamp ?? Date.now()}`);
    const context = agentContext(await identify(callId, inbound.from_number ?? ''));
    return {
      call_inbound: {
        dynamic_variables: context,
        metadata: { sticky_call_id: callId, customer_ref: context.customer_ref },
      },
    };
  }
  // The agent's custom function, sent with its arguments under `args` (args_at_root off):
  // {name, call, args}.
  if (body.name === 'save_call') {
    const metadata = body.call?.metadata ?? {};
    const args = body.args ?? {};
    const saved = await save(callIdOf(body.call), args.customer_ref || metadata.customer_ref, args.intent,
      args.intent_status, args.summary);
    return { result: saved ? 'saved' : 'not saved; carry on' };
  }
  if (body.event === 'call_analyzed') {
    const call = body.call ?? {};
    const analysis = call.call_analysis ?? {};
    const saved = await save(callIdOf(call), call.metadata?.customer_ref, 'general_inquiry',
      analysis.call_successful === false ? 'open' : 'resolved', analysis.call_summary);
    return { saved };
  }
  return {};
}
