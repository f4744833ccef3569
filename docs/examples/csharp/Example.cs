// Sticky Calls from C# (HttpClient; runs on Mono and .NET): identify the caller at call
// start, save at call end, with the seeds' decision logic, the error table (401/402
// alert an admin, 429/5xx retry, anything else falls back), retries under one
// Idempotency-Key and a 3 s timeout after which the call goes on as a new caller's.
// JSON: JavaScriptSerializer (System.Web.Extensions) on Mono and .NET Framework; on
// .NET 6+ use System.Text.Json's JsonSerializer the same way.
//
//   mcs -r:System.Net.Http -r:System.Web.Extensions Example.cs
//   STICKYCALLS_URL=http://127.0.0.1:8080 STICKYCALLS_KEY=sk_test_... mono Example.exe

using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Web.Script.Serialization;

using Json = System.Collections.Generic.Dictionary<string, object>;

public static class Example
{
    static readonly string BaseUrl = Environment.GetEnvironmentVariable("STICKYCALLS_URL") ?? "http://127.0.0.1:8080";
    static readonly string ApiKey = Environment.GetEnvironmentVariable("STICKYCALLS_KEY");
    const int Attempts = 3; // one try and two retries
    static readonly int[] Retryable = { 408, 409, 429, 500, 502, 503, 504 }; // 409: same key running
    // Per attempt: the caller must never wait on us.
    static readonly HttpClient Http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
    static readonly JavaScriptSerializer Serializer = new JavaScriptSerializer();

    // What a call goes on with when Sticky Calls cannot answer: a new caller.
    static Json Fallback()
    {
        return Serializer.Deserialize<Json>("{\"customer_ref\":null,\"identity\":{\"confidence\":0.0,\"level\":\"low\","
            + "\"sources\":[],\"recommendation\":\"ignore\"},\"open_intents\":[],\"variables\":{}}");
    }

    public class Outcome
    {
        public int Status; public Json Body; public int Attempts; public bool Fallback;
    }

    // POSTs with retries. Never throws: a failure becomes the fallback.
    public static Outcome Post(string path, object body, string idempotencyKey, string baseUrl, string apiKey)
    {
        for (int attempt = 1; attempt <= Attempts; attempt++)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + path)
            {
                Content = new StringContent(Serializer.Serialize(body), Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
            request.Headers.Add("Idempotency-Key", idempotencyKey);
            HttpResponseMessage r;
            try
            {
                r = Http.SendAsync(request).GetAwaiter().GetResult();
            }
            catch (TaskCanceledException)
            {
                Console.Error.WriteLine("sticky calls: no answer in 3 s, standard flow");
                return new Outcome { Status = 0, Body = Fallback(), Attempts = attempt, Fallback = true };
            }
            catch (HttpRequestException e)
            {
                Console.Error.WriteLine("sticky calls unreachable (" + e.Message + "), standard flow");
                return new Outcome { Status = 0, Body = Fallback(), Attempts = attempt, Fallback = true };
            }
            int status = (int)r.StatusCode;
            string text = r.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            if (status == 200)
                return new Outcome { Status = 200, Body = Serializer.Deserialize<Json>(text), Attempts = attempt };
            if (Retryable.Contains(status) && attempt < Attempts)
            {
                // Retry-After when the server gives one, else 0.25 s, 0.5 s...; capped at 1 s.
                double wait = 0.25 * Math.Pow(2, attempt - 1);
                if (r.Headers.RetryAfter != null && r.Headers.RetryAfter.Delta.HasValue)
                    wait = r.Headers.RetryAfter.Delta.Value.TotalSeconds;
                Thread.Sleep(TimeSpan.FromSeconds(Math.Min(wait, 1.0)));
                continue;
            }
            if (status == 401 || status == 402)
                // 401: check the API key; 402: no credits left. Both need a person.
                Console.Error.WriteLine("ALERT admin: sticky calls answered " + status + " " + text);
            else
                Console.Error.WriteLine("sticky calls answered " + status + ", standard flow");
            return new Outcome { Status = status, Body = Fallback(), Attempts = attempt, Fallback = true };
        }
        throw new InvalidOperationException("unreachable");
    }

    public static Outcome IdentifyCaller(string callId, string ani, string baseUrl, string apiKey)
    {
        var body = new Json { { "call_id", callId }, { "identity_hints", new Json { { "ani", ani } } } };
        return Post("/v1/calls/start", body, callId + ":start", baseUrl, apiKey);
    }

    public static Outcome SaveContext(string callId, string customerRef, string intent, string intentStatus,
        Dictionary<string, string> variables)
    {
        var body = new Json {
            { "call_id", callId }, { "customer_ref", customerRef }, { "intent", intent },
            { "intent_status", intentStatus }, { "variables", variables },
        };
        return Post("/v1/calls/end", body, callId + ":end", BaseUrl, ApiKey);
    }

    // The seeds' decision logic: what to do with the caller, and which queue.
    public static string[] Decide(Json answer)
    {
        var identity = (Json)answer["identity"];
        string action;
        switch ((string)identity["recommendation"])
        {
            case "reuse": action = "greet_with_context"; break; // context to the agent
            case "confirm": action = "confirm_identity"; break; // one question first
            default: action = "standard_greeting"; break;
        }
        string queue = "general";
        foreach (Json intent in ((System.Collections.ArrayList)answer["open_intents"]).Cast<Json>())
        {
            if ((string)intent["status"] != "open") continue;
            var name = (string)intent["intent"];
            if (name == "escalation") { queue = "senior"; break; }
            if (name == "billing_issue") queue = "billing";
            else if (name == "technical_support" && queue == "general") queue = "technical";
        }
        return new[] { action, queue };
    }

    static void Report(string label, Outcome outcome)
    {
        var answer = outcome.Body;
        var decision = Decide(answer);
        var identity = (Json)answer["identity"];
        var variables = (Json)answer["variables"];
        string note = variables.ContainsKey("test_note") ? (string)((Json)variables["test_note"])["value"] : "";
        Console.WriteLine(label + ": status=" + outcome.Status + " attempts=" + outcome.Attempts
            + " fallback=" + (outcome.Fallback ? "true" : "false")
            + " recommendation=" + identity["recommendation"] + " level=" + identity["level"]
            + " action=" + decision[0] + " queue=" + decision[1] + " note=" + note);
    }

    public static void Main()
    {
        string ani = Environment.GetEnvironmentVariable("EXAMPLE_ANI") ?? "+14155559999";
        string prefix = Environment.GetEnvironmentVariable("EXAMPLE_PREFIX") ?? "cs";
        // The seeds' "Test Match Logic": a new caller, their call saved, then recognised.
        var first = IdentifyCaller(prefix + "_001", ani, BaseUrl, ApiKey);
        Report("first", first);
        var saved = SaveContext(prefix + "_001", (string)first.Body["customer_ref"], "billing_issue", "open",
            new Dictionary<string, string> { { "test_note", "Test context" } });
        Console.WriteLine("end: status=" + saved.Status + " fallback=" + (saved.Fallback ? "true" : "false"));
        Report("second", IdentifyCaller(prefix + "_002", ani, BaseUrl, ApiKey));
        // Faults: a flaky route, a slow one, a revoked key.
        string flaky = Environment.GetEnvironmentVariable("FLAKY_URL");
        string slow = Environment.GetEnvironmentVariable("SLOW_URL");
        if (flaky != null) Report("retried", IdentifyCaller(prefix + "_003", ani, flaky, ApiKey));
        if (slow != null) Report("timeout", IdentifyCaller(prefix + "_004", ani, slow, ApiKey));
        Report("unauthorized", IdentifyCaller(prefix + "_005", ani, BaseUrl, "sk_test_0000000000000000_revoked"));
    }
}
