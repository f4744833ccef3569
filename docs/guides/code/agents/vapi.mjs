// Vapi: the phone number's Server URL receives `assistant-request` when a call comes
// in and must answer within 7.5 s end to end (Vapi's fixed limit); we spend at most
// 3 s on Sticky Calls. The answer names your assistant and fills its
// {{caller_notes}}, {{open_issues}}, {{confirm_hints}} and {{recommendation}}
// variables. The assistant's `save_call` tool (a function tool with this Server URL)
// arrives as `tool-calls` and saves the outcome.
// Environment: STICKYCALLS_URL, STICKYCALLS_KEY, VAPI_ASSISTANT_ID.

import { agentContext, identify, save } from './sticky.mjs';

export async function handleVapi(body) {
  const message = body.message ?? {};
  if (message.type === 'assistant-request') {
    const callId = message.call?.id;
    const ani = message.call?.customer?.number ?? message.customer?.number ?? '';
    const answer = await identify(`vapi_${callId}`, ani);
    return {
      assistantId: process.env.VAPI_ASSISTANT_ID,
      assistantOverrides: { variableValues: agentContext(answer) },
    };
  }
  if (message.type === 'tool-calls') {
    const callId = message.call?.id;
    const results = [];
    for (const call of message.toolCallList ?? []) {
      const name = call.function?.name ?? call.name;
      let args = call.function?.arguments ?? call.arguments ?? {};
      if (typeof args === 'string') args = JSON.parse(args);
      if (name !== 'save_call') {
        results.push({ toolCallId: call.id, result: `unknown tool ${name}` });
        continue;
      }
      const saved = await save(`vapi_${callId}`, args.customer_ref, args.intent, args.intent_status, args.summary);
      results.push({ toolCallId: call.id, result: saved ? 'saved' : 'not saved; carry on' });
    }
    return { results };
  }
  // Other server messages (status updates, transcripts, reports) need no answer.
  return {};
}
