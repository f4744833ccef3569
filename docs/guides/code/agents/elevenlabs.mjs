// ElevenLabs Agents: with "Fetch initiation data" on, an inbound Twilio or SIP call
// makes ElevenLabs POST {caller_id, agent_id, called_number, call_sid} to your
// conversation initiation webhook before the agent speaks; answer quickly (we spend
// at most 3 s on Sticky Calls) with the dynamic variables the prompt uses. Add a
// webhook tool `save_call` whose body is {call_id: "{{system__call_sid}}",
// customer_ref: "{{customer_ref}}", intent, intent_status, summary} (the last three
// filled by the LLM): it lands in handleSaveTool.
// Environment: STICKYCALLS_URL, STICKYCALLS_KEY.

import { agentContext, identify, save } from './sticky.mjs';

export async function handleElevenLabsInit(body) {
  const answer = await identify(`11labs_${body.call_sid}`, body.caller_id ?? '');
  return {
    type: 'conversation_initiation_client_data',
    dynamic_variables: agentContext(answer),
  };
}

export async function handleSaveTool(body) {
  const saved = await save(`11labs_${body.call_id}`, body.customer_ref, body.intent, body.intent_status,
    body.summary);
  return { result: saved ? 'saved' : 'not saved; carry on' };
}
