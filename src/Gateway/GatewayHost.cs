using System.Security.Authentication;
using Gateway.Core.Authentication.Spf;
using Gateway.Core.Classification;
using Gateway.Core.Configuration;
using Gateway.Core.Delivery;
using Gateway.Core.Delivery.Directory;
using Gateway.Core.Delivery.Smtp;
using Gateway.Core.Dns;
using Gateway.Core.Pipeline;
using Gateway.Core.History;
using Gateway.Core.Quarantine;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;
using Gateway.Core.State;
using Gateway.Core.Reputation;
using Gateway.Smtp;
using Gateway.Smtp.Admission;
using Microsoft.Extensions.Logging;
using Gateway.Metrics;
using Gateway.Learning;
using SmtpServer;
using SmtpServer.Net;
using SmtpServer.Protocol;

namespace Gateway;

/// <summary>
/// The composition root: builds the pipeline, the downstream and the SMTP listener from the options, and
/// runs until stopped. Tests start it in-process on port 0 and read <see cref="EndPoints"/>.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly SmtpServer.SmtpServer _server;
    private readonly IDownstream _downstream;
    private readonly IPEndPoint? _metricsEndPoint;
    private readonly ModelSource? _models;
    private readonly PolicySource _policy;
    private readonly Readiness _readiness;
    private readonly AdmissionListenerFactory _listeners;
    private readonly IStateStore? _state;
    private readonly Timer _quarantineSweep;
    private readonly Timer? _siteGauges;
    private readonly Timer? _dmarcReportTimer;
    private readonly Core.Attachments.ClamdClient? _clamd;
    private readonly SiteLearning? _site;
    private DateTimeOffset _lastExpiry = DateTimeOffset.MinValue;
    private MetricsEndpoint? _metricsEndpoint;
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _drainDeadline = new();
    private readonly TimeSpan _drainTimeout;
    private readonly List<IPEndPoint> _endPoints = [];
    private Task _running = Task.CompletedTask;

    private GatewayHost(GatewayOptions options, string rulesFolder, IReadOnlyList<IMessageCheck>? checks, ILoggerFactory loggerFactory, bool offline, IStateStore? state, Core.SenderLists.ISenderLists senderLists, Smtp.Phases.IRecipientCheck? extraRecipientCheck)
    {
        _state = state;
        _policy = new PolicySource(rulesFolder, loggerFactory.CreateLogger<PolicySource>());
        _policy.Reloaded += ok => GatewayMetrics.Reloads.WithLabels("rules", ok ? "ok" : "failed").Inc();
        Dns = offline ? null : new InstrumentedDnsResolver(new DnsClientResolver(options.Dns));
        _models = CheckCatalog.Models(options, loggerFactory);
        if (_models is not null)
        {
            _models.Reloaded += ok =>
            {
                GatewayMetrics.Reloads.WithLabels("model", ok ? "ok" : "failed").Inc();
                GatewayMetrics.ModelLoaded.Set(_models.Current is null ? 0 : 1);
            };
            GatewayMetrics.ModelLoaded.Set(_models.Current is null ? 0 : 1);
        }

        GatewayMetrics.BuildInfo.WithLabels(Program.Version).Set(1);
        GatewayMetrics.ShowZeros();
        var delivery = DownstreamFactory.Create(options, loggerFactory);
        if (delivery is Core.Delivery.Routing.RoutedDownstream routed)
        {
            WatchServers(routed, loggerFactory.CreateLogger<Core.Delivery.Routing.RoutedDownstream>());
        }

        _readiness = new Readiness(options, _models, delivery as Core.Delivery.Routing.RoutedDownstream);
        var dnsLists = new DnsListMetrics(loggerFactory.CreateLogger<DnsListCheck>(), TimeProvider.System);
        var site = SiteLearning.Create(options, state, loggerFactory, authenticates: Dns is not null);
        Learner = site?.Learner;
        _site = site;
        _siteGauges = site is null ? null : new Timer(_ => _ = site.RefreshGaugesAsync(), null, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        _clamd = options.Antivirus.Enabled ? new Core.Attachments.ClamdClient(options.Antivirus.Clamd, options.Antivirus.PoolSize) : null;
        var antivirus = _clamd is null ? null : Antivirus(options, _clamd, loggerFactory);
        // One reader of the sender lists for the whole process: RCPT's blocks, DATA's allows and the console's page share its snapshot.
        SenderLists = senderLists;
        Scanner = new MessageScanner(new PipelineRunner(checks ?? CheckCatalog.Create(options, Dns, _models, dnsLists: dnsLists, site: site?.Check, antivirus: antivirus, senderLists: SenderLists, fuzzy: site?.Fuzzy), options.Limits.CheckTimeout), () => _policy.Current, options.Limits.MaxMimeDepth);
        _downstream = new InstrumentedDownstream(delivery);

        // The checks of the dialogue's phases (connect, MAIL, RCPT), in one registry: docs/architecture.md.
        var messageMemory = MessageMemoryBudget.For(options.Limits);
        var dialogue = Smtp.Phases.DialogueChecks.Standard(options, _downstream, Dns is null ? null : new SpfEvaluator(Dns, options.Hostname), Dns, () => _policy.Current, dnsLists, SenderLists,
            state is null ? null : new Smtp.Phases.SharedStateChecks(options, state, Dns, () => _policy.Current, loggerFactory.CreateLogger<Smtp.Phases.SharedStateChecks>()), messageMemory);
        if (extraRecipientCheck is not null)
        {
            dialogue = dialogue.With(extraRecipientCheck);
        }

        var certificates = options.Tls.IsEnabled ? new TlsCertificateSource(options.Tls, options.BaseFolder, loggerFactory.CreateLogger<TlsCertificateSource>()) : null;
        _listeners = new AdmissionListenerFactory(
            new AdmissionOptions(
                options.Limits.MaxConnections,
                options.Limits.MaxConnectionsPerIp,
                options.ProxyProtocol ? options.ProxyProtocolNetworks : null,
                StreamGuardOptions.From(options.Limits, messageMemory),
                dialogue,
                certificates),
            loggerFactory.CreateLogger<AdmissionListenerFactory>());
        _listeners.EndpointStarted += (_, endPoint) =>
        {
            lock (_endPoints)
            {
                _endPoints.Add(endPoint);
            }
        };

        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(_listeners);
        services.Add(new GatewayCommandFactory(options.Limits.MaxMessageSize));
        History = HistoryStores.Open(options, state, HistoryInstance(options));
        DmarcReports = Core.DmarcReports.DmarcReporters.For(options, state, Dns);
        var reportLogger = loggerFactory.CreateLogger<Core.DmarcReports.DmarcReporter>();
        _dmarcReportTimer = DmarcReports is null ? null : new Timer(_ => _ = SendDmarcReportsAsync(reportLogger), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10));
        services.Add(new GatewayMailboxFilter(_downstream, dialogue, loggerFactory.CreateLogger<GatewayMailboxFilter>(), History));
        Quarantine = new QuarantineStore(options.Quarantine.FullPath(options.BaseFolder), TimeProvider.System);
        // Every minute the gauges follow the folder (a message held here, a release by the CLI in another
        // process); once an hour expired entries go.
        _quarantineSweep = new Timer(_ => SweepQuarantine(options.Quarantine.Retention, loggerFactory), null, TimeSpan.Zero, TimeSpan.FromMinutes(1));
        var autolearn = site is not null && state is not null && options.Learning.Autolearn.Enabled
            ? new Core.Learning.Autolearn(site.Learner, state, options.Learning.Autolearn, TimeProvider.System)
            : null;
        services.Add(new GatewayMessageStore(options, Scanner, new MessageRelay(options, TimeProvider.System, Quarantine, site?.Seal), loggerFactory.CreateLogger<GatewayMessageStore>(), _drainDeadline.Token, autolearn, History, site, DmarcReports));
        _drainTimeout = options.Limits.DrainTimeout;

        var builder = new SmtpServerOptionsBuilder()
            .ServerName(options.Hostname)
            // Only a backstop: the stream guard enforces command_timeout first, with a proper 421 4.4.2
            // (SmtpServer's own says "221 Timeout while waiting for input.").
            .CommandWaitTimeout(options.Limits.CommandTimeout * 2)
            .MaxRetryCount(SessionErrors.LibraryRetryLimit(options.Limits))
            .CustomSmtpGreeting(_ => $"220 {options.Hostname} ESMTP Gateway");
        // SmtpServer needs a certificate to offer STARTTLS; the handshake itself uses the source's current one.
        var certificate = certificates?.Current;
        foreach (var endPoint in options.ListenEndPoints)
        {
            builder.Endpoint(endpoint =>
            {
                endpoint.Endpoint(endPoint).SessionTimeout(options.Limits.SessionTimeout);
                if (certificate is not null)
                {
                    endpoint.Certificate(certificate).SupportedSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13);
                }
            });
        }

        _server = new SmtpServer.SmtpServer(builder.Build(), services);
        _server.SessionCreated += (_, args) => OnSessionCreated(args.Context, options.Limits);
        _server.SessionCompleted += (_, args) => OnSessionEnded(args.Context);
        _server.SessionFaulted += (_, args) => OnSessionEnded(args.Context);
        _server.SessionCancelled += (_, args) => OnSessionEnded(args.Context);

        _metricsEndPoint = ListenAddress.TryParse(options.Metrics.Listen, 0, out var metricsEndPoint) ? metricsEndPoint : null;
    }

    public const string DefaultDirectory = DownstreamFactory.DefaultDirectory;

    /// <summary>Each downstream server's state as a metric and a log line when it changes; failovers counted.</summary>
    private static void WatchServers(Core.Delivery.Routing.RoutedDownstream routed, ILogger logger)
    {
        foreach (var server in routed.Routes.SelectMany(route => route.Servers))
        {
            GatewayMetrics.DownstreamServerUp.WithLabels(server.Name).Set(1);
        }

        routed.Health.Changed += (server, up, reason) =>
        {
            GatewayMetrics.DownstreamServerUp.WithLabels(server.Name).Set(up ? 1 : 0);
            if (up)
            {
                logger.LogInformation("Downstream server {Server} is up again", server.Name);
            }
            else
            {
                logger.LogWarning("Downstream server {Server} marked down for downstream.backoff: {Reason}", server.Name, reason);
            }
        };
        routed.FailedOver += server => GatewayMetrics.DownstreamFailovers.WithLabels(server.Name).Inc();
    }

    /// <summary>The clamd check with its metrics and a warning at most once a minute while clamd cannot be used.</summary>
    private static Core.Attachments.AntivirusCheck Antivirus(GatewayOptions options, Core.Attachments.ClamdClient clamd, ILoggerFactory loggerFactory)
    {
        var check = new Core.Attachments.AntivirusCheck(clamd, options.Antivirus);
        var logger = loggerFactory.CreateLogger<Core.Attachments.AntivirusCheck>();
        var throttle = new WarningThrottle(TimeSpan.FromMinutes(1), TimeProvider.System);
        check.Scanned += result => GatewayMetrics.AntivirusScans.WithLabels(result).Inc();
        check.Unavailable += reason =>
        {
            if (throttle.ShouldWarn("clamd"))
            {
                logger.LogWarning("Antivirus unavailable ({Reason}); antivirus.on_error is {OnError}", reason, options.Antivirus.OnError);
            }
        };
        return check;
    }

    /// <summary>Site learning (null when learning is off); the admin endpoint's /learn goes here.</summary>
    public Core.Learning.SiteLearner? Learner { get; }

    public MessageScanner Scanner { get; }

    /// <summary>Where the quarantine action holds messages (quarantine.directory).</summary>
    public QuarantineStore Quarantine { get; }

    /// <summary>The sender allow and block lists (sender_lists: a file read again when it changes, or Redis).</summary>
    public Core.SenderLists.ISenderLists SenderLists { get; }

    /// <summary>DMARC aggregate reports (dmarc_reports.enabled): counts every evaluation, sends each period's reports; null when off.</summary>
    public Core.DmarcReports.DmarcReporter? DmarcReports { get; }

    /// <summary>Every ten minutes: the reports of the period that ended, if no instance sent them yet. Never throws.</summary>
    private async Task SendDmarcReportsAsync(ILogger logger)
    {
        try
        {
            foreach (var line in await DmarcReports!.SendDueAsync(_stopping.Token))
            {
                logger.LogInformation("DMARC aggregate report {Outcome}", line);
            }
        }
        catch (Exception exception) when (exception is Core.State.StateUnavailableException or OperationCanceledException)
        {
            logger.LogWarning("DMARC aggregate reports not sent this round: {Reason}", exception.Message);
        }
    }

    /// <summary>The web console; null unless web.listen is set.</summary>
    public Gateway.Web.WebConsole? Web { get; private set; }

    /// <summary>The message history (this instance's journal, or Redis's list); null with history.enabled: false.</summary>
    public IHistory? History { get; }

    /// <summary>The journal's name: host and first listening port, stable across restarts and apart from other instances on the same host.</summary>
    private static string HistoryInstance(GatewayOptions options) =>
        $"{new string([.. Environment.MachineName.Where(char.IsAsciiLetterOrDigit)])}-{options.ListenEndPoints[0].Port}";

    /// <summary>Expired entries go (quarantine.retention) once an hour; the gauges follow what is left every minute.</summary>
    private void SweepQuarantine(TimeSpan retention, ILoggerFactory loggerFactory)
    {
        try
        {
            var expired = 0;
            if (TimeProvider.System.GetUtcNow() - _lastExpiry >= TimeSpan.FromHours(1))
            {
                _lastExpiry = TimeProvider.System.GetUtcNow();
                expired = Quarantine.Expire(retention);
            }

            if (expired > 0)
            {
                loggerFactory.CreateLogger<QuarantineStore>().LogInformation("Quarantine: {Count} messages older than {Retention} deleted", expired, retention);
            }

            var (count, bytes) = Quarantine.Size();
            GatewayMetrics.QuarantineMessages.Set(count);
            GatewayMetrics.QuarantineBytes.Set(bytes);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            loggerFactory.CreateLogger<QuarantineStore>().LogWarning("Quarantine sweep failed: {Reason}", exception.Message);
        }
    }

    /// <summary>The one resolver every DNS-based check shares; null when offline.</summary>
    public IDnsResolver? Dns { get; }

    /// <summary>The SMTP end points actually bound (useful with port 0).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints
    {
        get
        {
            lock (_endPoints)
            {
                return [.. _endPoints];
            }
        }
    }

    public Task Completion => _running;

    /// <param name="checks">The pipeline's checks; null means the standard set from <see cref="CheckCatalog"/>.</param>
    /// <param name="offline">No DNS at all: SPF, DKIM, DMARC, ARC and reverse DNS are left out (demos, trials on recorded mail).</param>
    public static Task<GatewayHost> StartAsync(GatewayOptions options, string rulesFolder, ILoggerFactory loggerFactory, CancellationToken cancellationToken, IReadOnlyList<IMessageCheck>? checks = null, bool offline = false) =>
        StartAsync(options, rulesFolder, loggerFactory, cancellationToken, checks, offline, extraRecipientCheck: null);

    /// <param name="extraRecipientCheck">One more RCPT-phase check after the standard ones (tests; a site's own check would be registered in <see cref="Smtp.Phases.DialogueChecks.Standard"/>).</param>
    internal static async Task<GatewayHost> StartAsync(GatewayOptions options, string rulesFolder, ILoggerFactory loggerFactory, CancellationToken cancellationToken, IReadOnlyList<IMessageCheck>? checks, bool offline, Smtp.Phases.IRecipientCheck? extraRecipientCheck)
    {
        var state = options.UsesState ? await StateStores.CreateAsync(options.State, TimeProvider.System) : null;
        if (state is Core.State.MemoryStateStore memory)
        {
            memory.Evicted += () => GatewayMetrics.StateEvictions.WithLabels("state").Inc();
        }

        var senderLists = await Core.SenderLists.SenderListStores.OpenAsync(options, state, refresh: true, cancellationToken);
        var host = new GatewayHost(options, rulesFolder, checks, loggerFactory, offline, state, senderLists, extraRecipientCheck);
        if (host._metricsEndPoint is { } metricsAt)
        {
            host._metricsEndpoint = await MetricsEndpoint.StartAsync(metricsAt, host._readiness, host._site is null ? null : new LearnEndpoint(host._site.Learner, host._site.Seal, host._site.Secret.LearnToken), options.Limits.MaxMessageSize);
        }

        if (options.Web.IsEnabled)
        {
            host.Web = await Gateway.Web.WebConsole.StartAsync(options, host.Quarantine, host._downstream, () => host._policy.Current, host.Scanner, host._site, host.SenderLists, host.History, loggerFactory);
        }

        host._running = host._server.StartAsync(host._stopping.Token);
        var expected = options.Listen.Count;
        while (host.EndPoints.Count < expected)
        {
            if (host._running.IsCompleted)
            {
                await host._running; // surfaces a bind failure
            }

            await Task.Delay(10, cancellationToken);
        }

        host._readiness.Listening = true;
        return host;
    }

    /// <summary>
    /// Stops taking sessions (new connections are told 421 4.3.2) and ends idle ones (SmtpServer answers them 421), lets messages in DATA
    /// processing finish up to limits.drain_timeout, then cuts the rest off (their clients get no 250 and retry).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _server.Shutdown();
        await _stopping.CancelAsync();
        try
        {
            await _running.WaitAsync(_drainTimeout);
        }
        catch (Exception exception) when (exception is OperationCanceledException or TimeoutException)
        {
            await _drainDeadline.CancelAsync();
            try
            {
                await _running.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception late) when (late is OperationCanceledException or TimeoutException)
            {
                // Whatever is still running ends with the process; its clients retry.
            }
        }

        await _quarantineSweep.DisposeAsync();
        if (_dmarcReportTimer is not null)
        {
            await _dmarcReportTimer.DisposeAsync();
        }

        (History as IDisposable)?.Dispose();
        if (SenderLists is IAsyncDisposable lists)
        {
            await lists.DisposeAsync();
        }

        if (_siteGauges is not null)
        {
            await _siteGauges.DisposeAsync();
        }

        // Until here newcomers heard 421; now the port closes.
        await _listeners.DisposeAsync();
        if (_metricsEndpoint is not null)
        {
            await _metricsEndpoint.DisposeAsync();
        }

        if (Web is not null)
        {
            await Web.DisposeAsync();
        }

        await _readiness.DisposeAsync();

        await _downstream.DisposeAsync();
        if (_clamd is not null)
        {
            await _clamd.DisposeAsync();
        }
        if (_state is not null)
        {
            await _state.DisposeAsync();
        }

        _models?.Dispose();
        _policy.Dispose();
        _stopping.Dispose();
        _drainDeadline.Dispose();
    }

    private static void OnSessionCreated(ISessionContext context, LimitsOptions limits)
    {
        var state = SessionState.Attach(context);
        SessionErrors.Watch(context, state, limits);
        context.CommandExecuted += (_, args) =>
        {
            switch (args.Command)
            {
                case EhloCommand ehlo:
                    state.HeloName = ehlo.DomainOrAddress;
                    break;
                case HeloCommand helo:
                    state.HeloName = helo.DomainOrAddress;
                    break;
            }
        };
        context.CommandExecuting += (_, args) =>
        {
            if (args.Command is MailCommand mail)
            {
                state.MailCommandParameters = mail.Parameters;
            }
        };
    }

    private static void OnSessionEnded(ISessionContext context)
    {
        if (context.Properties.ContainsKey(EndpointListener.RemoteEndPointKey))
        {
            // Fire and forget is safe: the transaction only returns its connection to the pool or closes it.
            _ = SessionState.Of(context).EndTransactionAsync();
        }
    }
}
