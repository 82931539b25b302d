using System.Security.Claims;
using Gateway.Core.Classification;
using Gateway.Core.Configuration;
using Gateway.Core.Delivery;
using Gateway.Core.History;
using Gateway.Core.Quarantine;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Gateway.Web;

/// <summary>
/// The web console (issue 35, first part): administrators sign in, search the quarantine and the history,
/// open a held message (its text only) and release or delete it — the release goes through the downstream
/// like `gateway quarantine release`, and every action is logged with who did it. Its own Kestrel listener
/// (web.listen), off by default. Every POST carries an antiforgery token, cookies are HttpOnly and
/// SameSite=Lax (the antiforgery cookie Strict; Secure over HTTPS), the CSP allows no script and no remote content, and the pages may not
/// be framed. Forwarded headers count only from web.trusted_proxies.
/// </summary>
public sealed partial class WebConsole : IAsyncDisposable
{
    internal const string ApplicationName = "gateway-web";
    private const string AdminRole = "admin";
    private const string RecipientRole = "recipient";
    private const string Anonymous = "anonymous";
    private const string ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>
    /// A held message's HTML, shown in a sandboxed frame: sanitised first, and then whatever is left can run no
    /// script (sandbox without allow-scripts), load nothing from anywhere (default-src 'none'; images only
    /// inline), and be framed only by the console itself.
    /// </summary>
    private const string BodyContentSecurityPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; form-action 'none'; base-uri 'none'";
    private readonly WebApplication _app;

    private WebConsole(WebApplication app, System.Net.IPEndPoint endPoint)
    {
        _app = app;
        EndPoint = endPoint;
    }

    /// <summary>Where it listens (the port chosen when web.listen asked for port 0).</summary>
    public System.Net.IPEndPoint EndPoint { get; }

    internal static async Task<WebConsole> StartAsync(GatewayOptions options, QuarantineStore quarantine, IDownstream downstream, Func<Core.Scoring.ScoringPolicy> policy, Core.Scanning.MessageScanner scanner, Learning.SiteLearning? site, Core.SenderLists.ISenderLists senderLists, IHistory? history, ILoggerFactory loggerFactory)
    {
        var web = options.Web;
        var endPoint = ListenAddress.TryParse(web.Listen, 443, out var at) && at is not null ? at : throw new InvalidOperationException("validated");
        var certificate = web.Certificate is null ? null : web.Tls.LoadCertificate(options.BaseFolder);
        var secure = certificate is not null || web.PublicUrl?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) == true ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;

        // The empty builder: no configuration files or environment variables; only what is added here.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endPoint, listen =>
            {
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }
            });
            kestrel.Limits.MaxConcurrentConnections = 256;
            kestrel.Limits.MaxRequestBodySize = 64 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });
        builder.Services.AddLogging(logging => logging.ClearProviders());
        builder.Services.AddRouting();
        builder.Services.AddDataProtection()
            .PersistKeysToFileSystem(new DirectoryInfo(Path.GetFullPath(web.KeysDirectory, options.BaseFolder)))
            .SetApplicationName(ApplicationName);
        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.FormFieldName = "__token";
            antiforgery.Cookie.Name = "gateway-antiforgery";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = secure;
        });
        var authentication = builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie(cookie =>
        {
            cookie.Cookie.Name = "gateway-session";
            cookie.Cookie.HttpOnly = true;
            // Lax, not Strict: a digest link clicked in webmail and the way back from an OpenID Connect provider are
            // redirect chains begun on another site, and Chromium sends no Strict cookie on them — the recipient or
            // administrator landed on the sign-in page (WebConsoleBrowserTests, SingleSignOnTests). Lax still keeps
            // the cookie off every cross-site POST, and every POST also needs the antiforgery token (Strict).
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = secure;
            cookie.ExpireTimeSpan = web.SessionTimeout;
            cookie.SlidingExpiration = true;
            cookie.LoginPath = "/login";
            cookie.AccessDeniedPath = "/denied";
            cookie.ReturnUrlParameter = "return";
        });
        if (web.Oidc is { } oidc)
        {
            SingleSignOn.Add(authentication, oidc, secure, loggerFactory.CreateLogger<WebConsole>(), AdminRole);
        }

        // Sign-ins and link requests per client address: 20 in 10 minutes (the per-name lockout is WebUsers').
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Anonymous, context => System.Threading.RateLimiting.RateLimitPartition.GetFixedWindowLimiter(
                ClientOf(context),
                _ => new System.Threading.RateLimiting.FixedWindowRateLimiterOptions { PermitLimit = 20, Window = TimeSpan.FromMinutes(10) }));
        });
        builder.Services.AddAuthorization(authorization =>
        {
            authorization.AddPolicy(AdminRole, policy => policy.RequireRole(AdminRole));
            authorization.AddPolicy(RecipientRole, policy => policy.RequireRole(RecipientRole));
        });
        if (web.TrustedProxies.Count > 0)
        {
            builder.Services.Configure<ForwardedHeadersOptions>(forwarded =>
            {
                forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
                forwarded.KnownIPNetworks.Clear();
                forwarded.KnownProxies.Clear();
                foreach (var network in web.TrustedProxies)
                {
                    forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
                }
            });
        }

        var app = builder.Build();
        if (web.TrustedProxies.Count > 0)
        {
            app.UseForwardedHeaders();
        }

        app.Use(static (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            return next(context);
        });
        app.UseRouting();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();
        var links = new RecipientLinks(app.Services.GetRequiredService<IDataProtectionProvider>(), RecipientLinks.BaseUrl(web), web.LinkLifetime);
        new Endpoints(new WebUsers(Path.GetFullPath(web.UsersFile, options.BaseFolder), TimeProvider.System), links, quarantine, downstream, policy, scanner, site, options.Limits.MaxMessageSize, new LinkRequests(options, quarantine, downstream, links, TimeProvider.System), senderLists, history, web.Oidc?.DisplayName, loggerFactory.CreateLogger<WebConsole>()).Map(app);

        try
        {
            await app.StartAsync();
        }
        catch (IOException exception)
        {
            await app.DisposeAsync();
            throw new IOException($"web.listen {endPoint}: {exception.Message.TrimEnd('.')}", exception);
        }

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new WebConsole(app, new System.Net.IPEndPoint(endPoint.Address, new Uri(address).Port));
    }

    /// <summary>A console session's identity: a name and one role. Local accounts, digest links and single sign-on all sign in with it.</summary>
    internal static ClaimsPrincipal SessionOf(string name, string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], CookieAuthenticationDefaults.AuthenticationScheme));

    /// <summary>The client's address for the log, "?" when the server does not know it.</summary>
    internal static string ClientOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "?";

    public async ValueTask DisposeAsync()
    {
        using var soon = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(soon.Token);
        await _app.DisposeAsync();
    }

    private sealed partial class Endpoints(WebUsers users, RecipientLinks links, QuarantineStore quarantine, IDownstream downstream, Func<Core.Scoring.ScoringPolicy> policy, Core.Scanning.MessageScanner scanner, Learning.SiteLearning? site, int maxMessageSize, LinkRequests linkRequests, Core.SenderLists.ISenderLists lists, IHistory? history, string? singleSignOn, ILogger logger)
    {
        public void Map(WebApplication app)
        {
            app.MapGet("/console.css", () => Results.Text(ConsolePages.Css, "text/css"));
            app.MapGet("/login", (HttpContext context, IAntiforgery antiforgery, string? sso) => Page(context, antiforgery, "Sign in", token => ConsolePages.Login(token,
                sso == "failed" ? $"Signing in with {singleSignOn} did not complete; try again (the gateway's log says why)." : null, singleSignOn)));
            if (singleSignOn is not null)
            {
                SingleSignOn.Map(app);
            }

            app.MapPost("/login", SignInAsync).RequireRateLimiting(Anonymous);
            app.MapPost("/logout", async (HttpContext context, IAntiforgery antiforgery) =>
            {
                if (!await ValidAsync(context, antiforgery))
                {
                    return Results.BadRequest();
                }

                await context.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
                return Results.Redirect("/login");
            });

            app.MapGet("/r/{token}", FollowLinkAsync).RequireRateLimiting(Anonymous);
            app.MapGet("/link", (HttpContext context, IAntiforgery antiforgery) => Page(context, antiforgery, "A link to your held mail", ConsolePages.LinkForm));
            app.MapPost("/link", async (HttpContext context, IAntiforgery antiforgery) =>
            {
                if (!await ValidAsync(context, antiforgery))
                {
                    return Results.BadRequest();
                }

                var form = await context.Request.ReadFormAsync(context.RequestAborted);
                linkRequests.Ask(form["address"].ToString(), context.Connection.RemoteIpAddress ?? System.Net.IPAddress.None);
                // The same answer whatever the address, sent or not: the page tells nobody who has mail held.
                return Page(context, antiforgery, "A link to your held mail", _ => ConsolePages.Notice("If mail is held for that address, a message with a link to it is on its way there."));
            }).RequireRateLimiting(Anonymous);
            app.MapGet("/denied", (HttpContext context, IAntiforgery antiforgery) => Page(context, antiforgery, "Not yours", _ => ConsolePages.Notice("This page is for administrators."), StatusCodes.Status403Forbidden));
            app.MapGet("/", (HttpContext context) => Results.Redirect(context.User.IsInRole(RecipientRole) ? "/mine" : "/quarantine"));

            // The same pages twice: an administrator's over the whole quarantine, a recipient's over their own mail.
            foreach (var (role, basePath, title) in new[] { (AdminRole, "/quarantine", "Quarantine"), (RecipientRole, "/mine", "My held mail") })
            {
                var group = app.MapGroup(basePath).RequireAuthorization(role);
                group.MapGet(string.Empty, (HttpContext context, IAntiforgery antiforgery, string? q, string? since, string? until, string? min_score) =>
                {
                    var filter = QuarantineFilter.From(q, since, until, min_score);
                    return Page(context, antiforgery, title, token => ConsolePages.QuarantineList([.. quarantine.List().Where(entry => Sees(context, entry) && filter.Matches(entry)).OrderByDescending(entry => entry.ReceivedAt)], filter, basePath, role == AdminRole ? token : null));
                });
                group.MapGet("/{id}", (HttpContext context, IAntiforgery antiforgery, string id) =>
                    quarantine.Find(id) is { } entry && Sees(context, entry) && quarantine.ReadMessage(id) is { } raw && Read(raw) is var shown
                        ? Page(context, antiforgery, entry.Subject is { Length: > 0 } subject ? subject : "(no subject)", token => ConsolePages.QuarantineMessage(entry, shown.Headers, shown.Text, policy().DescriptionOf, token, basePath, MayAct(context, entry), hasHtml: shown.Html is not null, shown.Attachments))
                        : NotFound(context, antiforgery, id, basePath));
                group.MapGet("/{id}/html", (HttpContext context, string id) =>
                {
                    if (quarantine.Find(id) is not { } entry || !Sees(context, entry) || quarantine.ReadMessage(id) is not { } raw || Read(raw).Html is not { } html)
                    {
                        return Results.NotFound();
                    }

                    context.Response.Headers.ContentSecurityPolicy = BodyContentSecurityPolicy;
                    context.Response.Headers.XFrameOptions = "SAMEORIGIN";
                    return Results.Content(Sanitiser.Sanitize(html), "text/html; charset=utf-8");
                });
                group.MapPost("/{id}/release", (HttpContext context, IAntiforgery antiforgery, string id) => ReleaseAsync(context, antiforgery, id, basePath));
                group.MapPost("/{id}/delete", async (HttpContext context, IAntiforgery antiforgery, string id) =>
                {
                    if (!await ValidAsync(context, antiforgery))
                    {
                        return Results.BadRequest();
                    }

                    if (quarantine.Find(id) is not { } entry || !MayAct(context, entry))
                    {
                        return NotFound(context, antiforgery, id, basePath);
                    }

                    var said = await DeleteOneAsync(id, asSpam: context.Request.Query["spam"] == "1");
                    Log.Action(logger, Name(context), "deleted", id, said);
                    return Page(context, antiforgery, "Delete", _ => ConsolePages.Notice(said, basePath));
                });
            }

            var signedIn = app.MapGroup(string.Empty).RequireAuthorization(AdminRole);
            signedIn.MapPost("/quarantine/bulk", BulkAsync);
            signedIn.MapGet("/scan", (HttpContext context, IAntiforgery antiforgery) => Page(context, antiforgery, "Scan", ConsolePages.ScanForm));
            signedIn.MapPost("/scan", ScanAsync);
            signedIn.MapGet("/lists", (HttpContext context, IAntiforgery antiforgery) => Page(context, antiforgery, "Sender lists", token => ConsolePages.Lists(lists.Entries, token)));
            signedIn.MapPost("/lists/{change}", ChangeListsAsync);
            signedIn.MapGet("/history", async (HttpContext context, IAntiforgery antiforgery, string? from, string? to, string? message_id) =>
            {
                var query = new HistoryQuery(Blank(from), Blank(to), Blank(message_id), Limit: 200);
                if (history is null)
                {
                    return Page(context, antiforgery, "History", _ => ConsolePages.Notice("The history is off (history.enabled: false)."));
                }

                try
                {
                    var found = await history.FindAsync(query, context.RequestAborted);
                    return Page(context, antiforgery, "History", _ => ConsolePages.History(found, query));
                }
                catch (Core.State.StateUnavailableException exception)
                {
                    return Page(context, antiforgery, "History", _ => ConsolePages.Notice($"The history cannot be read now ({exception.Message})."), StatusCodes.Status503ServiceUnavailable);
                }
            });
        }

        private async Task<IResult> SignInAsync(HttpContext context, IAntiforgery antiforgery)
        {
            if (!await ValidAsync(context, antiforgery))
            {
                return Results.BadRequest();
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var name = form["user"].ToString().Trim();
            var outcome = users.Check(name, form["password"].ToString());
            Log.SignIn(logger, name.Length <= 64 ? name : name[..64], ClientOf(context), outcome.ToString().ToLowerInvariant());
            if (outcome != WebUsers.SignIn.Accepted)
            {
                var error = outcome == WebUsers.SignIn.Locked ? "Too many failed sign-ins for this user; try again later." : "Wrong user or password.";
                return Page(context, antiforgery, "Sign in", token => ConsolePages.Login(token, error, singleSignOn), StatusCodes.Status401Unauthorized);
            }

            await SignInAsAsync(context, name, AdminRole);
            var back = context.Request.Query["return"].ToString();
            return Results.Redirect(IsLocal(back) ? back : "/quarantine");
        }

        /// <summary>A digest's link: signs the recipient in to their own held mail, or says the link is no good.</summary>
        private async Task<IResult> FollowLinkAsync(HttpContext context, IAntiforgery antiforgery, string token)
        {
            if (links.RecipientOf(token) is not { } recipient)
            {
                Log.SignIn(logger, "(link)", ClientOf(context), "refused: altered or expired");
                return Page(context, antiforgery, "Link not valid", _ => ConsolePages.Notice("This link is not valid or has expired. Your next digest brings a new one."), StatusCodes.Status403Forbidden);
            }

            await SignInAsAsync(context, recipient, RecipientRole);
            Log.SignIn(logger, recipient, ClientOf(context), "link");
            return Results.Redirect("/mine");
        }

        /// <summary>An administrator's bulk action on the selected held messages: release, delete, or delete as spam; one line per message.</summary>
        private async Task<IResult> BulkAsync(HttpContext context, IAntiforgery antiforgery)
        {
            if (!await ValidAsync(context, antiforgery))
            {
                return Results.BadRequest();
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            var action = form["action"].ToString();
            var lines = new List<string>();
            foreach (var id in form["id"].OfType<string>().Distinct(StringComparer.Ordinal).Take(500))
            {
                var said = action switch
                {
                    "release" => (await ReleaseOneAsync(id, context.RequestAborted)).Said,
                    "delete" or "spam" => await DeleteOneAsync(id, asSpam: action == "spam"),
                    _ => null,
                };
                if (said is null)
                {
                    return Results.BadRequest();
                }

                Log.Action(logger, Name(context), action, id, said);
                lines.Add(said);
            }

            return Page(context, antiforgery, "Quarantine", _ => lines.Count == 0 ? ConsolePages.Notice("Nothing selected.", "/quarantine") : string.Join(string.Empty, lines.Select(line => ConsolePages.Notice(line))) + ConsolePages.Notice(string.Empty, "/quarantine"));
        }

        /// <summary>Releases one held message through the downstream and, released, teaches it as ham (a release says "this was wanted", as the CLI's does).</summary>
        private async Task<(ReleaseResult Result, string Said)> ReleaseOneAsync(string id, CancellationToken cancellationToken)
        {
            var raw = quarantine.ReadMessage(id);
            var outcome = await quarantine.ReleaseAsync(id, downstream, cancellationToken);
            var said = outcome.Describe(id);
            if (outcome.Result == ReleaseResult.Released && raw is not null && await LearnAsync(raw, isSpam: false) is { } learned)
            {
                said += $"; learned as ham: {learned}";
            }

            return (outcome.Result, said);
        }

        /// <summary>Deletes one held message; as spam, teaches the site model first (as `gateway quarantine delete --spam`).</summary>
        private async Task<string> DeleteOneAsync(string id, bool asSpam)
        {
            var learned = asSpam && quarantine.ReadMessage(id) is { } raw ? await LearnAsync(raw, isSpam: true) : null;
            return (quarantine.Delete(id) ? $"{id}: deleted" : $"{id}: not found") + (learned is null ? string.Empty : $"; learned as spam: {learned}");
        }

        /// <summary>Teaches the site model (site learning on); the outcome in words, or null when learning is off or failed.</summary>
        private async Task<string?> LearnAsync(byte[] raw, bool isSpam)
        {
            if (site is null)
            {
                return null;
            }

            try
            {
                var outcome = await site.Learner.LearnRawAsync(raw, isSpam, "console", site.Seal, CancellationToken.None);
                var word = Core.Learning.LearnOutcomes.Word(outcome);
                Metrics.GatewayMetrics.Learned.WithLabels(isSpam ? "spam" : "ham", "quarantine", word).Inc();
                return word;
            }
            catch (Exception exception) when (exception is IOException or TimeoutException or InvalidOperationException or StackExchange.Redis.RedisException)
            {
                return null; // the release or delete happened; learning is a bonus
            }
        }

        /// <summary>An uploaded message through the full pipeline, as `gateway check --explain` would judge it.</summary>
        private async Task<IResult> ScanAsync(HttpContext context, IAntiforgery antiforgery)
        {
            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = maxMessageSize + 64 * 1024;
            }

            if (!await ValidAsync(context, antiforgery))
            {
                return Results.BadRequest();
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            if (form.Files.GetFile("message") is not { Length: > 0 } file)
            {
                return Page(context, antiforgery, "Scan", token => ConsolePages.Notice("Choose a message file (.eml) to scan.") + ConsolePages.ScanForm(token), StatusCodes.Status400BadRequest);
            }

            using var buffer = new MemoryStream();
            await file.CopyToAsync(buffer, context.RequestAborted);
            var envelope = Core.Pipeline.Envelope.Offline with { Recipients = [form["rcpt"].ToString() is { Length: > 0 } rcpt ? rcpt : "postmaster@localhost"] };
            var scan = await scanner.ScanAsync($"web-{Guid.NewGuid():N}", envelope, Core.Headers.LineEndings.Normalize(buffer.ToArray()), context.RequestAborted);
            Log.Action(logger, Name(context), "scanned", file.FileName, $"{scan.Verdict.Action} {scan.Verdict.Score:0.00}");
            return Page(context, antiforgery, "Scan", token => ConsolePages.ScanResult(file.FileName, scan.Verdict, policy().DescriptionOf, scan.Context.Classification?.SpamProbability) + ConsolePages.ScanForm(token));
        }

        private static Task SignInAsAsync(HttpContext context, string name, string role) =>
            context.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, SessionOf(name, role));

        /// <summary>An administrator sees every held message; a recipient those held for them.</summary>
        private static bool Sees(HttpContext context, QuarantineEntry entry) =>
            context.User.IsInRole(AdminRole) || (context.User.IsInRole(RecipientRole) && entry.Recipients.Any(recipient => string.Equals(recipient, Name(context), StringComparison.OrdinalIgnoreCase)));

        /// <summary>A recipient acts only on what was held for them alone: a release or delete would reach the other recipients too.</summary>
        private static bool MayAct(HttpContext context, QuarantineEntry entry) =>
            context.User.IsInRole(AdminRole) || (context.User.IsInRole(RecipientRole) && entry.Recipients is [var only] && string.Equals(only, Name(context), StringComparison.OrdinalIgnoreCase));

        private static IResult NotFound(HttpContext context, IAntiforgery antiforgery, string id, string basePath) =>
            Page(context, antiforgery, "Not found", _ => ConsolePages.Notice($"No held message '{id}' (released or deleted?)", basePath), StatusCodes.Status404NotFound);

        private async Task<IResult> ReleaseAsync(HttpContext context, IAntiforgery antiforgery, string id, string basePath)
        {
            if (!await ValidAsync(context, antiforgery))
            {
                return Results.BadRequest();
            }

            if (quarantine.Find(id) is not { } found || !MayAct(context, found))
            {
                return NotFound(context, antiforgery, id, basePath);
            }

            var allowed = string.Empty;
            if (context.Request.Query["allow"] == "1" && quarantine.Find(id) is { } held)
            {
                // The author the recipients saw (From), else the envelope sender: what the allow check proves.
                var sender = MailboxAddress.TryParse(held.From ?? string.Empty, out var author) && author.Address.Contains('@') ? author.Address : held.MailFrom;
                if (sender is not null)
                {
                    try
                    {
                        foreach (var recipient in held.Recipients)
                        {
                            await lists.AddAsync(Core.SenderLists.SenderListEntry.Create(recipient, sender, Core.SenderLists.SenderListKind.Allow), context.RequestAborted);
                        }

                        allowed = $"; {sender} allowed for {string.Join(", ", held.Recipients)}";
                    }
                    catch (Core.State.StateUnavailableException exception)
                    {
                        allowed = $"; {sender} could not be allowed ({exception.Message})"; // the release still goes ahead: it is what was asked first
                    }

                    Log.Action(logger, Name(context), "allowed", id, allowed[2..]);
                }
            }

            var (result, said) = await ReleaseOneAsync(id, context.RequestAborted);
            Log.Action(logger, Name(context), "released", id, said);
            return Page(context, antiforgery, "Release", _ => ConsolePages.Notice(said + allowed, basePath), result == ReleaseResult.Released ? StatusCodes.Status200OK : StatusCodes.Status409Conflict);
        }

        private async Task<IResult> ChangeListsAsync(HttpContext context, IAntiforgery antiforgery, string change)
        {
            if (!await ValidAsync(context, antiforgery))
            {
                return Results.BadRequest();
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            string said;
            try
            {
                var kind = form["kind"] == "block" ? Core.SenderLists.SenderListKind.Block : Core.SenderLists.SenderListKind.Allow;
                var entry = Core.SenderLists.SenderListEntry.Create(form["for"].ToString(), form["sender"].ToString(), kind);
                said = change switch
                {
                    "add" => await lists.AddAsync(entry, context.RequestAborted) ? $"{entry.Sender}: {(kind == Core.SenderLists.SenderListKind.Allow ? "allowed" : "blocked")} for {entry.For}" : $"{entry.Sender} is already there",
                    "remove" => await lists.RemoveAsync(entry.For, entry.Sender, context.RequestAborted) ? $"{entry.Sender}: removed for {entry.For}" : $"no entry for {entry.Sender}",
                    _ => throw new ArgumentException($"no such change '{change}'"),
                };
            }
            catch (ArgumentException exception)
            {
                return Page(context, antiforgery, "Sender lists", _ => ConsolePages.Notice(exception.Message, "/lists"), StatusCodes.Status400BadRequest);
            }
            catch (Core.State.StateUnavailableException exception)
            {
                return Page(context, antiforgery, "Sender lists", _ => ConsolePages.Notice($"The lists could not be changed ({exception.Message}); nothing was changed, try again.", "/lists"), StatusCodes.Status503ServiceUnavailable);
            }

            Log.Action(logger, Name(context), "changed the sender lists", change, said);
            return Page(context, antiforgery, "Sender lists", token => ConsolePages.Notice(said) + ConsolePages.Lists(lists.Entries, token));
        }

        private static IResult Page(HttpContext context, IAntiforgery antiforgery, string title, Func<string, string> body, int status = StatusCodes.Status200OK)
        {
            var token = antiforgery.GetAndStoreTokens(context).RequestToken ?? string.Empty;
            return Results.Content(ConsolePages.Layout(title, body(token), context.User.Identity?.IsAuthenticated == true ? Name(context) : null, context.User.IsInRole(AdminRole), token), "text/html; charset=utf-8", statusCode: status);
        }

        private static async Task<bool> ValidAsync(HttpContext context, IAntiforgery antiforgery)
        {
            try
            {
                await antiforgery.ValidateRequestAsync(context);
                return true;
            }
            catch (AntiforgeryValidationException)
            {
                return false;
            }
        }

        private static string Name(HttpContext context) => context.User.Identity?.Name ?? "?";

        private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

        /// <summary>Only a path on this site: "//evil.example" and "/\evil.example" are other sites to a browser.</summary>
        private static bool IsLocal(string url) =>
            url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal);


        /// <summary>
        /// HtmlSanitizer's defaults (no script, no event handlers, no javascript: URLs), no forms or frames at all, and
        /// no URL but data: — a remote image is a read receipt for the sender (and the frame's CSP would refuse it
        /// anyway; a browser still reports the attempt), a link is not to be followed from here.
        /// </summary>
        private static readonly Ganss.Xss.HtmlSanitizer Sanitiser = CreateSanitiser();

        private static Ganss.Xss.HtmlSanitizer CreateSanitiser()
        {
            var sanitiser = new Ganss.Xss.HtmlSanitizer();
            sanitiser.AllowedSchemes.Clear();
            sanitiser.AllowedSchemes.Add("data");
            foreach (var tag in new[] { "form", "input", "button", "select", "textarea", "iframe", "frame", "object", "embed" })
            {
                sanitiser.AllowedTags.Remove(tag);
            }

            return sanitiser;
        }

        /// <summary>
        /// A held message as the console shows it, parsed once: the headers a reader looks at, the text (a plain part as
        /// written, an HTML part as the text it shows) and the first HTML part (not an attachment) decoded, or null.
        /// </summary>
        private static (IReadOnlyList<(string Name, string Value)> Headers, string Text, string? Html, IReadOnlyList<Core.Rules.AttachmentFile> Attachments) Read(byte[] raw)
        {
            var message = MimeMessage.Load(new MemoryStream(raw));
            var parts = message.BodyParts.OfType<TextPart>().Where(part => !part.IsAttachment).ToList();
            var part = parts.FirstOrDefault(part => part.IsPlain) ?? parts.FirstOrDefault();
            var text = part is null ? string.Empty : part.IsHtml ? Core.Content.PartContent.Of(part).Visible : Core.Content.PartContent.Of(part).Decoded;
            var html = parts.FirstOrDefault(part => part.IsHtml) is { } htmlPart ? Core.Content.PartContent.Of(htmlPart).Decoded : null;
            string[] shown = ["From", "Reply-To", "To", "Cc", "Subject", "Date", "Message-ID"];
            // Attachments by name and by what their bytes are (and the files inside archives), as the rules see them.
            var attachments = Core.Rules.AttachmentFile.Of(Core.Attachments.DecodedAttachment.Of(message));
            return ([.. shown.SelectMany(name => message.Headers.Where(header => header.Field.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(header => (header.Field, header.Value)))], text, html, attachments);
        }

        private static partial class Log
        {
            [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "web: sign-in as {User} from {Client}: {Outcome}")]
            public static partial void SignIn(ILogger logger, string user, string client, string outcome);

            [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "web: {User} {Action} {Id}: {Outcome}")]
            public static partial void Action(ILogger logger, string user, string action, string id, string outcome);
        }
    }
}
