<?php
// Sticky Calls from PHP 8 (ext-curl, ext-json): identify the caller at call start,
// save at call end, with the seeds' decision logic, the error table (401/402 alert an
// admin, 429/5xx retry, anything else falls back), retries under one Idempotency-Key
// and a 3 s timeout after which the call goes on as a new caller's.
//
//   STICKYCALLS_URL=http://127.0.0.1:8080 STICKYCALLS_KEY=sk_test_... php example.php

const TIMEOUT_MS = 3000; // per attempt: the caller must never wait on us
const ATTEMPTS = 3; // one try and two retries
const RETRYABLE = [408, 409, 429, 500, 502, 503, 504]; // 409: same key still running

// What a call goes on with when Sticky Calls cannot answer: a new caller.
const FALLBACK = [
    'customer_ref' => null,
    'identity' => ['confidence' => 0.0, 'level' => 'low', 'sources' => [], 'recommendation' => 'ignore'],
    'open_intents' => [],
    'variables' => [],
];

function base_url(): string { return getenv('STICKYCALLS_URL') ?: 'http://127.0.0.1:8080'; }
function api_key(): string { return getenv('STICKYCALLS_KEY'); }

/** POSTs with retries. Never throws: a failure becomes the fallback. */
function post(string $path, array $body, string $idempotencyKey, ?string $baseUrl = null, ?string $apiKey = null): array
{
    $baseUrl ??= base_url();
    $apiKey ??= api_key();
    for ($attempt = 1; $attempt <= ATTEMPTS; $attempt++) {
        $retryAfter = null;
        $ch = curl_init("$baseUrl$path");
        curl_setopt_array($ch, [
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_POST => true,
            CURLOPT_TIMEOUT_MS => TIMEOUT_MS,
            CURLOPT_HTTPHEADER => [
                "Authorization: Bearer $apiKey",
                'Content-Type: application/json',
                "Idempotency-Key: $idempotencyKey",
            ],
            CURLOPT_POSTFIELDS => json_encode($body),
            CURLOPT_HEADERFUNCTION => function ($ch, $line) use (&$retryAfter) {
                if (stripos($line, 'Retry-After:') === 0) {
                    $retryAfter = (float) trim(substr($line, 12));
                }
                return strlen($line);
            },
        ]);
        $response = curl_exec($ch);
        $status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        $errno = curl_errno($ch);
        curl_close($ch);
        if ($errno !== 0) {
            fwrite(STDERR, $errno === CURLE_OPERATION_TIMEDOUT
                ? "sticky calls: no answer in 3 s, standard flow\n"
                : "sticky calls unreachable (curl error $errno), standard flow\n");
            return ['status' => 0, 'body' => FALLBACK, 'attempts' => $attempt, 'fallback' => true];
        }
        if ($status === 200) {
            return ['status' => 200, 'body' => json_decode($response, true), 'attempts' => $attempt, 'fallback' => false];
        }
        if (in_array($status, RETRYABLE, true) && $attempt < ATTEMPTS) {
            // Retry-After when the server gives one, else 0.25 s, 0.5 s...; capped at 1 s.
            $wait = min($retryAfter ?? 0.25 * 2 ** ($attempt - 1), 1.0);
            usleep((int) ($wait * 1_000_000));
            continue;
        }
        $code = json_decode((string) $response, true)['code'] ?? '';
        if ($status === 401 || $status === 402) {
            // 401: check the API key; 402: no credits left. Both need a person.
            fwrite(STDERR, "ALERT admin: sticky calls answered $status $code\n");
        } else {
            fwrite(STDERR, "sticky calls answered $status, standard flow\n");
        }
        return ['status' => $status, 'body' => FALLBACK, 'attempts' => $attempt, 'fallback' => true];
    }
}

function identify_caller(string $callId, string $ani, ?string $crmId = null, ?string $baseUrl = null, ?string $apiKey = null): array
{
    $hints = ['ani' => $ani];
    if ($crmId !== null) {
        $hints['external_ids'] = ['customer_id' => $crmId];
    }
    return post('/v1/calls/start', ['call_id' => $callId, 'identity_hints' => $hints], "$callId:start", $baseUrl, $apiKey);
}

function save_context(string $callId, ?string $customerRef, string $intent, string $intentStatus, array $variables): array
{
    return post('/v1/calls/end', [
        'call_id' => $callId, 'customer_ref' => $customerRef, 'intent' => $intent,
        'intent_status' => $intentStatus, 'variables' => $variables,
    ], "$callId:end");
}

/** The seeds' decision logic: what to do with the caller, and which queue. */
function decide(array $answer): array
{
    $action = match ($answer['identity']['recommendation']) {
        'reuse' => 'greet_with_context', // context to the agent
        'confirm' => 'confirm_identity', // one question first
        default => 'standard_greeting',
    };
    $queue = 'general';
    foreach ($answer['open_intents'] ?? [] as $intent) {
        if ($intent['status'] !== 'open') {
            continue;
        }
        if ($intent['intent'] === 'escalation') {
            $queue = 'senior';
            break;
        }
        if ($intent['intent'] === 'billing_issue') {
            $queue = 'billing';
        } elseif ($intent['intent'] === 'technical_support' && $queue === 'general') {
            $queue = 'technical';
        }
    }
    return [$action, $queue];
}

function report(string $label, array $outcome): void
{
    $answer = $outcome['body'];
    [$action, $queue] = decide($answer);
    $note = $answer['variables']['test_note']['value'] ?? '';
    $fallback = $outcome['fallback'] ? 'true' : 'false';
    echo "$label: status={$outcome['status']} attempts={$outcome['attempts']} fallback=$fallback "
        . "recommendation={$answer['identity']['recommendation']} level={$answer['identity']['level']} "
        . "action=$action queue=$queue note=$note\n";
}

$ani = getenv('EXAMPLE_ANI') ?: '+14155559999';
$prefix = getenv('EXAMPLE_PREFIX') ?: 'php';
// The seeds' "Test Match Logic": a new caller, their call saved, then recognised.
$first = identify_caller("{$prefix}_001", $ani);
report('first', $first);
$saved = save_context("{$prefix}_001", $first['body']['customer_ref'], 'billing_issue', 'open', ['test_note' => 'Test context']);
echo "end: status={$saved['status']} fallback=" . ($saved['fallback'] ? 'true' : 'false') . "\n";
report('second', identify_caller("{$prefix}_002", $ani));
// Faults: a flaky route, a slow one, a revoked key.
if (getenv('FLAKY_URL')) {
    report('retried', identify_caller("{$prefix}_003", $ani, null, getenv('FLAKY_URL')));
}
if (getenv('SLOW_URL')) {
    report('timeout', identify_caller("{$prefix}_004", $ani, null, getenv('SLOW_URL')));
}
report('unauthorized', identify_caller("{$prefix}_005", $ani, null, null, 'sk_test_0000000000000000_revoked'));
