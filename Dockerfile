# Multi-stage build: the SDK compiles, a slim runtime image runs as a non-root user.
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 -t gateway .
# The SDK runs natively on the build machine and publishes for the target (no emulated compiler);
# ML.NET's FastTree uses managed code where its native library is x64-only.
FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
WORKDIR /src
COPY . .
RUN dotnet publish src/Gateway/Gateway.csproj -c Release -a "${TARGETARCH:-x64}" -p:UseAppHost=false -o /app

# The ASP.NET Core runtime: the operators' HTTP listener (/metrics, /health, /ready, /learn) runs on Kestrel.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /gateway
COPY --from=build /app /app
COPY gateway.yaml ./gateway.yaml
# In a container, listen on all interfaces (the shipped file stays loopback-only for a first run on a host).
RUN sed -i 's/"127.0.0.1:2525"/"0.0.0.0:2525"/; s/"127.0.0.1:9464"/"0.0.0.0:9464"/' gateway.yaml
COPY rules ./rules
COPY models ./models
RUN useradd --system --uid 10025 --home /gateway gateway && mkdir -p data && chown -R gateway /gateway/data
USER gateway
# SMTP and Prometheus metrics. Mount your own gateway.yaml over /gateway/gateway.yaml for real use.
EXPOSE 2525 9464
# /health answers 200 while the process serves; bash's /dev/tcp, since the runtime image has no curl.
HEALTHCHECK --interval=30s --timeout=5s CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9464 && printf 'GET /health HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200 OK' <&3"]
ENTRYPOINT ["dotnet", "/app/gateway.dll"]
CMD ["run", "--config", "/gateway/gateway.yaml"]
