// Sticky Calls from Java 17 (java.net.http, and Gson for JSON): identify the caller at
// call start, save at call end, with the seeds' decision logic, the error table
// (401/402 alert an admin, 429/5xx retry, anything else falls back), retries under one
// Idempotency-Key and a 3 s timeout after which the call goes on as a new caller's.
//
//   STICKYCALLS_URL=http://127.0.0.1:8080 STICKYCALLS_KEY=sk_test_... \
//     java -cp gson.jar Example.java

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

public class Example {
    static final String BASE_URL = System.getenv().getOrDefault("STICKYCALLS_URL", "http://127.0.0.1:8080");
    static final String API_KEY = System.getenv("STICKYCALLS_KEY");
    static final Duration TIMEOUT = Duration.ofSeconds(3); // per attempt: never keep a caller waiting
    static final int ATTEMPTS = 3; // one try and two retries
    static final Set<Integer> RETRYABLE = Set.of(408, 409, 429, 500, 502, 503, 504); // 409: same key running
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    static final Gson GSON = new Gson();

    /** What a call goes on with when Sticky Calls cannot answer: a new caller. */
    static JsonObject fallback() {
        return JsonParser.parseString("{\"customer_ref\":null,\"identity\":{\"confidence\":0.0,\"level\":\"low\","
            + "\"sources\":[],\"recommendation\":\"ignore\"},\"open_intents\":[],\"variables\":{}}").getAsJsonObject();
    }

    record Outcome(int status, JsonObject body, int attempts, boolean fallback) {}

    /** POSTs with retries. Never throws: a failure becomes the fallback. */
    static Outcome post(String path, Object body, String idempotencyKey, String baseUrl, String apiKey)
            throws InterruptedException {
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(TIMEOUT)
                .header("Authorization", "Bearer " + apiKey)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", idempotencyKey)
                .POST(HttpRequest.BodyPublishers.ofString(GSON.toJson(body)))
                .build();
            HttpResponse<String> r;
            try {
                r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (HttpTimeoutException e) {
                System.err.println("sticky calls: no answer in 3 s, standard flow");
                return new Outcome(0, fallback(), attempt, true);
            } catch (java.io.IOException e) {
                System.err.println("sticky calls unreachable (" + e + "), standard flow");
                return new Outcome(0, fallback(), attempt, true);
            }
            int status = r.statusCode();
            if (status == 200) {
                return new Outcome(200, JsonParser.parseString(r.body()).getAsJsonObject(), attempt, false);
            }
            if (RETRYABLE.contains(status) && attempt < ATTEMPTS) {
                // Retry-After when the server gives one, else 0.25 s, 0.5 s...; capped at 1 s.
                double wait = r.headers().firstValue("Retry-After").map(Double::parseDouble)
                    .orElse(0.25 * Math.pow(2, attempt - 1));
                Thread.sleep((long) (Math.min(wait, 1.0) * 1000));
                continue;
            }
            if (status == 401 || status == 402) {
                // 401: check the API key; 402: no credits left. Both need a person.
                System.err.println("ALERT admin: sticky calls answered " + status + " " + r.body());
            } else {
                System.err.println("sticky calls answered " + status + ", standard flow");
            }
            return new Outcome(status, fallback(), attempt, true);
        }
        throw new IllegalStateException("unreachable");
    }

    static Outcome identifyCaller(String callId, String ani, String baseUrl, String apiKey)
            throws InterruptedException {
        var body = Map.of("call_id", callId, "identity_hints", Map.of("ani", ani));
        return post("/v1/calls/start", body, callId + ":start", baseUrl, apiKey);
    }

    static Outcome saveContext(String callId, String customerRef, String intent, String intentStatus,
            Map<String, String> variables) throws InterruptedException {
        var body = Map.of("call_id", callId, "customer_ref", customerRef, "intent", intent,
            "intent_status", intentStatus, "variables", variables);
        return post("/v1/calls/end", body, callId + ":end", BASE_URL, API_KEY);
    }

    /** The seeds' decision logic: what to do with the caller, and which queue. */
    static String[] decide(JsonObject answer) {
        String action = switch (answer.getAsJsonObject("identity").get("recommendation").getAsString()) {
            case "reuse" -> "greet_with_context"; // context to the agent
            case "confirm" -> "confirm_identity"; // one question first
            default -> "standard_greeting";
        };
        String queue = "general";
        for (JsonElement e : answer.getAsJsonArray("open_intents")) {
            JsonObject intent = e.getAsJsonObject();
            if (!intent.get("status").getAsString().equals("open")) continue;
            String name = intent.get("intent").getAsString();
            if (name.equals("escalation")) { queue = "senior"; break; }
            if (name.equals("billing_issue")) queue = "billing";
            else if (name.equals("technical_support") && queue.equals("general")) queue = "technical";
        }
        return new String[] {action, queue};
    }

    static void report(String label, Outcome outcome) {
        JsonObject answer = outcome.body();
        String[] decision = decide(answer);
        JsonObject identity = answer.getAsJsonObject("identity");
        JsonObject note = answer.getAsJsonObject("variables").getAsJsonObject("test_note");
        System.out.printf("%s: status=%d attempts=%d fallback=%b recommendation=%s level=%s action=%s queue=%s note=%s%n",
            label, outcome.status(), outcome.attempts(), outcome.fallback(),
            identity.get("recommendation").getAsString(), identity.get("level").getAsString(),
            decision[0], decision[1], note == null ? "" : note.get("value").getAsString());
    }

    public static void main(String[] args) throws InterruptedException {
        String ani = System.getenv().getOrDefault("EXAMPLE_ANI", "+14155559999");
        String prefix = System.getenv().getOrDefault("EXAMPLE_PREFIX", "java");
        // The seeds' "Test Match Logic": a new caller, their call saved, then recognised.
        Outcome first = identifyCaller(prefix + "_001", ani, BASE_URL, API_KEY);
        report("first", first);
        Outcome saved = saveContext(prefix + "_001", first.body().get("customer_ref").getAsString(),
            "billing_issue", "open", Map.of("test_note", "Test context"));
        System.out.printf("end: status=%d fallback=%b%n", saved.status(), saved.fallback());
        report("second", identifyCaller(prefix + "_002", ani, BASE_URL, API_KEY));
        // Faults: a flaky route, a slow one, a revoked key.
        String flaky = System.getenv("FLAKY_URL"), slow = System.getenv("SLOW_URL");
        if (flaky != null) report("retried", identifyCaller(prefix + "_003", ani, flaky, API_KEY));
        if (slow != null) report("timeout", identifyCaller(prefix + "_004", ani, slow, API_KEY));
        report("unauthorized", identifyCaller(prefix + "_005", ani, BASE_URL, "sk_test_0000000000000000_revoked"));
    }
}
