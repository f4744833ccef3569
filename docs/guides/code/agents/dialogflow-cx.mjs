// Dialogflow CX: a webhook called by tag from the flow's start page ("identify") and
// its end page ("save"). CX waits 5 s by default (the webhook's timeout setting); we
// spend at most 3 s. The caller's number comes from the telephony payload
// (Dialogflow CX Phone Gateway or a CCAI integration); the session id is the call id.
// Answers set session parameters ($session.params.recommendation...) for conditions
// and the agent's prompts.
// Environment: STICKYCALLS_URL, STICKYCALLS_KEY.

import { agentContext, identify, save } from './sticky.mjs';

export async function handleDialogflowCx(body) {
  const session = body.sessionInfo?.session ?? '';
  const callId = `dfcx_${session.split('/').pop()}`;
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
  return { fulfillmentResponse: { messages: [{ text: { text: [] } }] } };
}
