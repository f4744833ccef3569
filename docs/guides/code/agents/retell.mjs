// Retell: the number's Inbound Webhook URL receives `call_inbound` before the call is
// answered (Retell waits 10 s, then retries); we spend at most 3 s on Sticky Calls.
// The answer sets dynamic variables ({{caller_notes}}... in the agent's prompt; all
// strings) and metadata that comes back on the call's later requests, so the agent's
// `save_call` custom function (or, without it, `call_analyzed`) saves under the same
// call id.
// Environment: STICKYCALLS_URL, STICKYCALLS_KEY.

import { agentContext, identify, save } from './sticky.mjs';

export async function handleRetell(body) {
  if (body.event === 'call_inbound') {
    const inbound = body.call_inbound ?? {};
    // The inbound webhook comes before Retell names the call: make our own id.
    const callId = `retell_${inbound.from_number}_${Date.now()}`;
    const answer = await identify(callId, inbound.from_number ?? '');
    const context = agentContext(answer);
    return {
      call_inbound: {
        dynamic_variables: context,
        metadata: { sticky_call_id: callId, customer_ref: context.customer_ref },
      },
    };
  }
  // The agent's custom function (POST, "Payload: args only" off): {name, call, args}.
  if (body.name === 'save_call') {
    const metadata = body.call?.metadata ?? {};
    const args = body.args ?? {};
    const saved = await save(metadata.sticky_call_id ?? `retell_${body.call?.call_id}`,
      args.customer_ref || metadata.customer_ref, args.intent, args.intent_status, args.summary);
    return { result: saved ? 'saved' : 'not saved; carry on' };
  }
  if (body.event === 'call_analyzed') {
    const call = body.call ?? {};
    const metadata = call.metadata ?? {};
    const analysis = call.call_analysis ?? {};
    const saved = await save(metadata.sticky_call_id ?? `retell_${call.call_id}`, metadata.customer_ref,
      'general_inquiry', analysis.call_successful === false ? 'open' : 'resolved', analysis.call_summary);
    return { saved };
  }
  return {};
}
