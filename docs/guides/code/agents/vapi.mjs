// Vapi: the phone number's Server URL receives `assistant-request` when a call comes
// in; Vapi's docs fix the answer time at 7.5 s end to end, not configurable
// (docs.vapi.ai/server-url/events). We spend at most 3 s on Sticky Calls. The answer
// names your assistant and fills its {{caller_notes}}, {{open_issues}},
// {{confirm_hints}} and {{recommendation}} variables (assistantOverrides.variableValues).
// The assistant's `save_call` function tool arrives as `tool-calls` and saves the
// outcome; the tool's server waits `timeoutSeconds` (default 20 s, per the Server
// type of Vapi's API).
// Environment: STICKYCALLS_URL, STICKYCALLS_KEY, VAPI_ASSISTANT_ID.

import { agentContext, identify, save, stickyCallId } from './sticky.mjs';

/** The caller's number: `call.customer.number` (Vapi's Call type), with the docs' other spellings. */
function callerNumber(body, message) {
  return message.call?.customer?.number ?? message.customer?.number
    ?? message.call?.from?.phoneNumber ?? body.call?.from?.phoneNumber ?? '';
}

function parseArgs(args) {
  if (typeof args !== 'string') return args ?? {};
  try {
    return JSON.parse(args);
  } catch {
    return {};
  }
}

/**
 * The tool calls of a `tool-calls` message as [{id, name, args}], whichever of the
 * shapes Vapi documents arrives:
 *  - `toolCallList[].function.{name, arguments}`, arguments a JSON string (the ToolCall
 *    type in Vapi's OpenAPI and server SDK);
 *  - `toolCallList[].{name, arguments}` (docs: tools/custom-tools);
 *  - `toolCallList[].{name, parameters}` and `toolWithToolCallList[].toolCall.parameters`
 *    (docs: server-url/events);
 *  - `toolWithToolCallList[].toolCall.function.{name, parameters}` (docs: tools/custom-tools).
 * `toolWithToolCallList[].parameters` is the tool's JSON schema, never the arguments.
 */
export function toolCalls(message) {
  const withTool = message.toolWithToolCallList ?? [];
  const byId = new Map(withTool.filter((t) => t?.toolCall?.id).map((t) => [t.toolCall.id, t]));
  const list = (message.toolCallList ?? []).length ? message.toolCallList : withTool.map((t) => t?.toolCall ?? {});
  return list.map((call) => {
    const tool = byId.get(call.id) ?? {};
    const inner = tool.toolCall ?? {};
    const name = call.function?.name ?? call.name ?? inner.function?.name ?? tool.name ?? tool.function?.name;
    const args = call.function?.arguments ?? call.arguments ?? call.parameters ?? call.function?.parameters
      ?? inner.function?.arguments ?? inner.function?.parameters ?? inner.parameters;
    return { id: call.id, name, args: parseArgs(args) };
  });
}

export async function handleVapi(body) {
  const message = body.message ?? {};
  const callId = stickyCallId('vapi', message.call?.id);
  if (message.type === 'assistant-request') {
    const answer = await identify(callId, callerNumber(body, message));
    return {
      assistantId: process.env.VAPI_ASSISTANT_ID,
      assistantOverrides: { variableValues: agentContext(answer) },
    };
  }
  if (message.type === 'tool-calls') {
    const results = [];
    for (const { id, name, args } of toolCalls(message)) {
      if (name !== 'save_call') {
        results.push({ name, toolCallId: id, result: `unknown tool ${name}` });
        continue;
      }
      const saved = await save(callId, args.customer_ref, args.intent, args.intent_status, args.summary);
      results.push({ name, toolCallId: id, result: saved ? 'saved' : 'not saved; carry on' });
    }
    return { results };
  }
  // Other server messages (status updates, transcripts, reports) need no answer.
  return {};
}
