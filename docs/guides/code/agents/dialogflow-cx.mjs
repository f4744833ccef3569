// Dialogflow CX: a webhook called by tag from the flow's start page ("identify") and
// its end page ("save"). CX waits for the webhook's timeout: 5 s by default, at most
// 30 s (the Webhook resource's `timeout`); we spend at most 3 s. The caller's number is
// in the request's `payload` with the Dialogflow CX Phone Gateway
// (`payload.telephony.caller_id`); the session id (last segment of
// `sessionInfo.session`) is the call id. Answers set session parameters
// ($session.params.recommendation...) for conditions and the agent's prompts.
// Environment: STICKYCALLS_URL, STICKYCALLS_KEY.

import { agentContext, identify, save, stickyCallId } from './sticky.mjs';

export async function handleDialogflowCx(body) {
  // projects/<P>/locations/<L>/agents/<A>[/environments/<E>]/sessions/<Session ID>
  const session = body.sessionInfo?.session ?? '';
  const callId = stickyCallId('dfcx', session.split('/').pop());
  const params = body.sessionInfo?.parameters ?? {};
  const tag = body.fulfillmentInfo?.tag;
  if (tag === 'identify') {
    const ani = body.payload?.telephony?.caller_id ?? params.caller_id ?? '';
    const context = agentContext(await identify(callId, ani));
    const greeting = context.recommendation === 'reuse' && context.open_issues
      ? `Welcome back. Are you calling about ${context.open_issues.replaceAll('_', ' ')}?`
      : 'Thanks for calling. How can I help?';
    return {
      fulfillmentResponse: { messages: [{ text: { text: [greeting] } }] },
      sessionInfo: { parameters: context },
    };
  }
  if (tag === 'save') {
    const saved = await save(callId, params.customer_ref, params.intent, params.intent_status, params.summary);
    return { sessionInfo: { parameters: { saved } } };
  }
  // Another tag: change nothing (every WebhookResponse field may be omitted).
  return {};
}
