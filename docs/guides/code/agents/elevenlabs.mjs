// ElevenLabs Agents: with fetching conversation initiation data enabled (agent →
// Security tab) and the webhook set on the workspace's Agents settings page, an inbound
// Twilio call makes ElevenLabs POST {caller_id, agent_id, called_number, call_sid} to
// the webhook before the agent speaks (elevenlabs.io/docs: Twilio personalization).
// ElevenLabs documents no time limit for it ("a reasonable timeout period"); we spend
// at most 3 s on Sticky Calls. The answer carries every dynamic variable the agent
// declares, including `sticky_call_id`, the id we used.
// The webhook tool `save_call` posts a body whose `call_id` is the dynamic variable
// `sticky_call_id` and whose intent, intent_status and summary the LLM fills; it lands
// in handleSaveTool. The tool waits `response_timeout_secs` (default 20 s, 5 to 120).
// Environment: STICKYCALLS_URL, STICKYCALLS_KEY.

import { agentContext, givenId, identify, save, stickyCallId } from './sticky.mjs';

export async function handleElevenLabsInit(body) {
  const ani = body.caller_id ?? '';
  // `call_sid` is documented for Twilio calls; without one, make an id of our own.
  const callId = stickyCallId('11labs', body.call_sid)
    ?? stickyCallId('11labs', `${ani || 'unknown'}_${Date.now()}`);
  const answer = await identify(callId, ani);
  return {
    type: 'conversation_initiation_client_data',
    dynamic_variables: { ...agentContext(answer), sticky_call_id: callId },
  };
}

export async function handleSaveTool(body) {
  // `call_id` is the `sticky_call_id` dynamic variable, already our id: no prefix here.
  const saved = await save(givenId(body.call_id), body.customer_ref, body.intent, body.intent_status, body.summary);
  return { result: saved ? 'saved' : 'not saved; carry on' };
}
